// Rendering a prompt version into what a model call needs. The layout is stable, so that a prompt's
// behaviour changes only when its version does:
//
//   system   = the rendered `system` template (if any), then, each only when present and separated
//              by one blank line:
//                "Rules:" and one "- rule" line per rule, in file order;
//                "Tone:" and one "- tone" line per entry;
//                "Answer with one JSON object that matches this JSON Schema, and nothing else:" and
//                the schema as indented JSON (keys sorted).
//   messages = per example, in file order, a user turn (an `input` map rendered through the
//              template; text as is) and an assistant turn (an `output` map as JSON; text as is);
//              then the user turn: the rendered template.
//
// Variables are copied as plain JSON data first: functions, prototypes and getters never reach a
// template, and text in a variable is inserted as it is, never parsed as template syntax.
import type { Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';
import { canonicalJson } from '../spec/index.js';
import { resolveLibraryRefs } from './refs.js';
import type { DocumentEntry, DocumentType, LibraryEntry, PromptEntry, PromptParameters } from './schema.js';
import { renderTemplate, templateProblem, templateVariables } from './template.js';

export interface PromptMessage {
  role: 'user' | 'assistant';
  content: string;
}

export interface RenderedPrompt {
  system: string;
  messages: PromptMessage[];
  outputSchema: Record<string, unknown> | undefined;
  /** The model name from the configuration the prompt asks for, if any. */
  model: string | undefined;
  parameters: PromptParameters;
  confidenceThreshold: number | undefined;
}

/** A prompt version as stored or resolved: what renderPrompt needs of it. */
export interface PromptVersionLike {
  name: string;
  number: number;
  content: LibraryEntry;
}

/** A library document as the `documents` variable holds it. */
export interface DocumentVariable {
  name: string;
  number: number;
  title: string;
  type: DocumentType;
  tags: string[];
  body: string;
}

/**
 * Renders a prompt version with `variables`. A variable the templates read but `variables` lacks is
 * an `invalid_input` KeelError naming every missing one (details.missing).
 */
export async function renderPrompt(version: PromptVersionLike, variables: Record<string, unknown>): Promise<RenderedPrompt> {
  const prompt = asPrompt(version);
  const label = `${version.name} v${version.number}`;
  const scope = plainData(variables);
  const needed = new Set([...templateVariables(prompt.template), ...(prompt.system ? templateVariables(prompt.system) : [])]);
  const missing = [...needed].filter((v) => !Object.hasOwn(scope, v)).sort();
  if (missing.length > 0) {
    throw new KeelError('invalid_input', `Prompt ${label} needs the variable${missing.length === 1 ? '' : 's'} ${missing.join(', ')}.`, {
      problems: missing.map((m) => ({ path: `variables.${m}`, message: `missing; the template reads ${m}` })),
      hint: 'pass every variable the template reads', details: { missing },
    });
  }
  const render = async (text: string, vars: Record<string, unknown>, where: string) => {
    try {
      return await renderTemplate(text, vars);
    } catch (error) {
      const p = templateProblem(error);
      const variable = /^undefined variable: (\S+)/.exec(p.message)?.[1];
      throw new KeelError('invalid_input', `Prompt ${label} ${where}: ${variable ? `the variable ${variable} is missing` : p.message}.`, {
        cause: error, details: variable ? { missing: [variable] } : undefined,
        problems: [{ path: variable ? `variables.${variable}` : where, message: p.message }],
      });
    }
  };
  const sections: string[] = [];
  if (prompt.system) sections.push((await render(prompt.system, scope, 'system')).trim());
  if (prompt.rules?.length) sections.push(['Rules:', ...prompt.rules.map((r) => `- ${r}`)].join('\n'));
  if (prompt.tone?.length) sections.push(['Tone:', ...prompt.tone.map((t) => `- ${t}`)].join('\n'));
  if (prompt.output_schema) {
    sections.push(`Answer with one JSON object that matches this JSON Schema, and nothing else:\n${JSON.stringify(JSON.parse(canonicalJson(prompt.output_schema)), null, 2)}`);
  }
  const messages: PromptMessage[] = [];
  for (const [i, example] of (prompt.examples ?? []).entries()) {
    const input = typeof example.input === 'string' ? example.input : await render(prompt.template, plainData(example.input), `examples[${i}].input`);
    messages.push({ role: 'user', content: input }, { role: 'assistant', content: typeof example.output === 'string' ? example.output : JSON.stringify(example.output) });
  }
  messages.push({ role: 'user', content: await render(prompt.template, scope, 'template') });
  return {
    system: sections.filter((s) => s !== '').join('\n\n'),
    messages,
    outputSchema: prompt.output_schema,
    model: prompt.model,
    parameters: prompt.parameters ?? {},
    confidenceThreshold: prompt.confidence_threshold,
  };
}

/** Library document versions as the `documents` variable holds them. */
export function documentVariables(versions: readonly PromptVersionLike[]): DocumentVariable[] {
  return versions.map((v) => {
    if (v.content.kind !== 'document') throw new KeelError('invalid_input', `${v.name} v${v.number} is a prompt, not a document.`);
    const d: DocumentEntry = v.content;
    return { name: v.name, number: v.number, title: d.title, type: d.type, tags: d.tags ?? [], body: d.body };
  });
}

/** The documents a prompt's `references` name, resolved now, as the `documents` variable holds them. */
export async function referencedDocuments(db: Queryable, version: PromptVersionLike): Promise<DocumentVariable[]> {
  const prompt = asPrompt(version);
  return documentVariables(await resolveLibraryRefs(db, prompt.references ?? [], { kind: 'document' }));
}

function asPrompt(version: PromptVersionLike): PromptEntry {
  if (version.content.kind !== 'prompt') {
    throw new KeelError('invalid_input', `${version.name} v${version.number} is a document, not a prompt.`, { hint: 'render a prompt; documents are passed in its `documents` variable' });
  }
  return version.content;
}

/** Variables as plain JSON data (Dates become ISO text); a value that is not data is refused. */
function plainData(variables: Record<string, unknown>): Record<string, unknown> {
  let copy: unknown;
  try {
    copy = JSON.parse(JSON.stringify(variables ?? {})) as unknown;
  } catch (error) {
    throw new KeelError('invalid_input', 'Prompt variables must be plain JSON data.', { cause: error });
  }
  if (copy === null || typeof copy !== 'object' || Array.isArray(copy)) throw new KeelError('invalid_input', 'Prompt variables must be a map of names to values.');
  return copy as Record<string, unknown>;
}
