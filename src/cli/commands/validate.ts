// `keel validate`: checks workflow files locally, no server, reporting every problem of every file.
import { readFile } from 'node:fs/promises';
import { exitCodes, type CommandSpec } from '../command.js';
import { printJson, problemLine, type ProblemLine } from '../output.js';

interface FileResult {
  file: string;
  ok: boolean;
  workflow?: string;
  problems: ProblemLine[];
}

export const validateCommand: CommandSpec = {
  path: ['validate'],
  usage: 'keel validate FILE...',
  summary: 'Check workflow files without a server; every problem at file:line:col',
  args: { min: 1, max: Infinity },
  async run(ctx) {
    // Loaded here, not at the top: the client commands should not pay for the workflow compiler.
    const { validateWorkflowText } = await import('../../spec/index.js');
    const results: FileResult[] = [];
    for (const file of ctx.args) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
        results.push({ file, ok: false, problems: [{ path: file, message: `cannot read the file (${reason})`, hint: 'check the path' }] });
        continue;
      }
      const r = validateWorkflowText(text, file);
      results.push(r.ok ? { file, ok: true, workflow: r.spec.id, problems: [] } : { file, ok: false, problems: r.problems });
    }
    const ok = results.every((r) => r.ok);
    if (ctx.json) {
      printJson(ctx.io, { ok, files: results });
      return ok ? exitCodes.ok : exitCodes.invalid;
    }
    for (const r of results) {
      if (r.ok) ctx.io.out(`${r.file}: ok (workflow ${r.workflow})`);
      for (const p of r.problems) ctx.io.out(problemLine(p));
    }
    const problems = results.reduce((n, r) => n + r.problems.length, 0);
    const bad = results.filter((r) => !r.ok).length;
    if (!ok) ctx.io.err(`${problems} problem${problems === 1 ? '' : 's'} in ${bad} of ${results.length} file${results.length === 1 ? '' : 's'}`);
    return ok ? exitCodes.ok : exitCodes.invalid;
  },
};
