// Library files: YAML or Markdown with front matter, every problem reported at file:line:col.
import { describe, expect, it } from 'vitest';
import { libraryContentHash, parseLibraryFile, validateLibraryText } from '../../src/prompts/index.js';

const promptMd = `---
name: support/reply
description: Replies to a customer
rules: [Be brief]
---
Hello {{ name }}
`;

function problems(text: string, file: string, opts = {}) {
  const r = validateLibraryText(text, file, opts);
  if (r.ok) throw new Error('expected problems');
  return r.problems;
}

describe('library files', () => {
  it('reads a Markdown prompt whose body is the template', () => {
    const entry = parseLibraryFile(promptMd, 'reply.md');
    expect(entry).toEqual({ kind: 'prompt', name: 'support/reply', description: 'Replies to a customer', rules: ['Be brief'], template: 'Hello {{ name }}' });
  });

  it('reads a YAML document and a Markdown document alike', () => {
    const yaml = parseLibraryFile('kind: document\nname: policies/refunds\ntitle: Refunds\ntype: policy\ntags: [money]\nbody: Refunds take 5 days.\n', 'refunds.yaml');
    const md = parseLibraryFile('---\nkind: document\nname: policies/refunds\ntitle: Refunds\ntype: policy\ntags: [money]\n---\n\nRefunds take 5 days.\n\n', 'refunds.md');
    expect(md).toEqual(yaml);
    expect(libraryContentHash(md)).toBe(libraryContentHash(yaml));
  });

  it('names a misspelt key at its file:line:col with a suggestion', () => {
    const p = problems('name: support/reply\ndescription: x\ntemplate: hi\ntempreature: 0.2\n', 'p.yaml');
    expect(p).toEqual([{ path: 'p.yaml:4:1 tempreature', message: 'unknown field "tempreature"', hint: 'model settings go under `parameters:`; did you mean parameters.temperature?' }]);
    expect(problems('name: a\ndescription: x\ntemplat: hi\n', 'p.yaml')).toContainEqual({ path: 'p.yaml:3:1 templat', message: 'unknown field "templat"', hint: expect.stringContaining('did you mean "template"?') });
    const nested = problems('name: a\ndescription: x\ntemplate: hi\nparameters:\n  temprature: 0.2\n', 'p.yaml');
    expect(nested[0]).toMatchObject({ path: 'p.yaml:5:3 parameters.temprature', hint: expect.stringContaining('did you mean "temperature"?') });
  });

  it('counts the front matter lines of a Markdown file', () => {
    const p = problems('---\nname: Support/Reply\ndescription: x\n---\nHi\n', 'r.md');
    expect(p).toEqual([{ path: 'r.md:2:7 name', message: expect.stringContaining('lower-case path segments') }]);
  });

  it('reports a template error at its line in the Markdown body and in a YAML block', () => {
    expect(problems('---\nname: a\ndescription: x\n---\n\nline one\n{% if x %}\nno end\n', 'r.md')[0]!.path).toMatch(/^r\.md:7:\d+ template$/);
    const p = problems('name: a\ndescription: x\ntemplate: |\n  first\n  second {{ x | nofilter }}\n', 'r.yaml');
    expect(p).toEqual([{ path: 'r.yaml:5:10 template', message: expect.stringContaining('undefined filter: nofilter') }]);
  });

  it('refuses templates that would read other files', () => {
    const p = problems('name: a\ndescription: x\ntemplate: "{% include \'secrets.txt\' %}"\n', 'r.yaml');
    expect(p[0]!.message).toContain('the include tag is not available');
    expect(problems('name: a\ndescription: x\ntemplate: "{% render \'x\' %}"\n', 'r.yaml')[0]!.message).toContain('render tag is not available');
    expect(problems('name: a\ndescription: x\ntemplate: "{% layout \'x\' %}"\n', 'r.yaml')[0]!.message).toContain('layout tag is not available');
  });

  it('reports every problem at once: schema, references, examples, missing fields', () => {
    const text = [
      'name: support/reply', 'description: x', 'template: "{{ q }}"',
      'output_schema: { type: object, required: [reply], properties: { reply: { type: string } } }',
      'references: [policies/refunds@production, "Bad Name", policies/refunds@0]',
      'examples:', '  - input: { q: hello }', '    output: { reply: 3 }', '  - input: { other: 1 }', '    output: "{\\"reply\\": \\"ok\\"}"',
    ].join('\n');
    const p = problems(text, 'r.yaml');
    expect(p.map((x) => x.path)).toEqual([
      'r.yaml:5:43 references[1]', 'r.yaml:5:55 references[2]', 'r.yaml:8:13 examples[0].output', 'r.yaml:9:12 examples[1].input',
    ]);
    expect(p[2]!.message).toContain('does not match output_schema: /reply must be string');
    expect(p[3]!.message).toContain('undefined variable: q');
    expect(problems('kind: document\nname: a\ntype: memo\nbody: x\n', 'd.yaml')).toEqual([
      { path: 'd.yaml:1:1 title', message: '"title" is required' },
      { path: 'd.yaml:3:7 type', message: expect.stringContaining('must be one of policy, definition, faq, other') },
    ]);
  });

  it('checks the output schema and the model name', () => {
    const p = problems('name: a\ndescription: x\ntemplate: hi\nmodel: gpt-9\noutput_schema: { type: object, propertes: {} }\n', 'r.yaml', { models: ['default', 'fast'] });
    expect(p).toEqual([
      { path: 'r.yaml:4:8 model', message: 'no model named "gpt-9" in the configuration', hint: 'configured models: default, fast' },
      { path: 'r.yaml:5:16 output_schema', message: expect.stringContaining('not a valid JSON Schema') },
    ]);
  });

  it('refuses a Markdown file without front matter, a template given twice, and YAML syntax errors', () => {
    expect(problems('Hello\n', 'r.md')[0]).toMatchObject({ path: 'r.md:1:1', message: expect.stringContaining('front matter') });
    expect(problems('---\nname: a\ndescription: x\ntemplate: hi\n---\nbody\n', 'r.md')[0]).toMatchObject({ path: 'r.md:4:1 template', message: expect.stringContaining('given twice') });
    expect(problems('---\nname: a\ndescription: [x\n---\nbody\n', 'r.md')[0]!.path).toMatch(/^r\.md:\d+:\d+$/);
    expect(problems('---\nname: a\ndescription: [x\n---\nbody\n', 'r.md')[0]!.message).toMatch(/^YAML syntax error/);
  });

  it('throws one invalid_input error listing the problems', () => {
    expect(() => parseLibraryFile('name: a\n', 'r.yaml')).toThrow(expect.objectContaining({
      code: 'invalid_input', message: expect.stringMatching(/^r\.yaml is not a valid library file \(2 problems\)/),
    }));
  });

  it('hashes content, not formatting: comments and key order make no new version', () => {
    const a = parseLibraryFile('name: a\ndescription: x\ntemplate: hi\n', 'a.yaml');
    const b = parseLibraryFile('# a comment\ntemplate: hi\ndescription: "x"\nname: a\n', 'b.yaml');
    const c = parseLibraryFile('name: a\ndescription: x\ntemplate: hi!\n', 'a.yaml');
    expect(libraryContentHash(a)).toBe(libraryContentHash(b));
    expect(libraryContentHash(a)).not.toBe(libraryContentHash(c));
    expect(libraryContentHash(a)).toMatch(/^[0-9a-f]{64}$/);
  });
});
