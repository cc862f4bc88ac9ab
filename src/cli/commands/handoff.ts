// `keel handoff WORKFLOW`: the handoff pack as Markdown (or HTML, or the JSON document), to stdout
// or a file, with the readiness summary: how many items are ready and exactly what each missing one
// needs. The server renders the pack, so the CLI, the API and the dashboard's download agree.
import { writeFile } from 'node:fs/promises';
import type { HandoffPack } from '../../handoff/index.js';
import { seg } from '../api-client.js';
import { stageNames } from '../api-types.js';
import { exitCodes, oneOf, UsageError, type CommandSpec } from '../command.js';
import { jsonAnswer } from '../output.js';

const usage = 'keel handoff WORKFLOW [--html] [--out FILE] [--stage S] [--json]';

export const handoffCommand: CommandSpec = {
  path: ['handoff'],
  usage,
  summary: 'The handoff pack: workflow card, owner map, access, prompts and failure classes, monitoring, runbook, change process, and what is still missing',
  options: {
    html: { type: 'boolean', description: 'a self-contained HTML page (print it, or keep it) instead of Markdown' },
    out: { type: 'string', value: 'FILE', description: 'write the pack to FILE (replaced) instead of stdout' },
    stage: { type: 'string', value: 'S', description: 'the stage described; the highest stage with a deployment by default' },
  },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const id = ctx.args[0] ?? '';
    if (ctx.json && ctx.bool('html')) throw new UsageError('--json and --html exclude each other', usage);
    const stageText = ctx.string('stage');
    const stage = stageText === undefined ? undefined : oneOf(stageText, stageNames, '--stage', usage);
    const out = ctx.string('out');
    const api = await ctx.api();
    const path = `/api/workflows/${seg(id)}/handoff`;
    const pack = await api.get<HandoffPack>(path, { stage });
    if (ctx.json && out === undefined) return jsonAnswer(ctx.io, pack);
    // The text asks for the stage the JSON answered, so both describe the same deployment.
    const text = ctx.json ? `${JSON.stringify(pack, null, 2)}\n` : await api.getText(path, { format: ctx.bool('html') ? 'html' : 'markdown', stage: pack.stage });
    // With the pack on stdout, the summary goes to stderr so a redirect keeps only the document.
    const say = out === undefined ? ctx.io.err : ctx.io.out;
    if (out === undefined) {
      for (const line of text.replace(/\n$/, '').split('\n')) ctx.io.out(line);
    } else {
      await writeFile(out, text);
      say(`wrote the handoff pack of ${pack.workflow_id} (${pack.stage}, version ${pack.version.number}) to ${out}`);
    }
    for (const line of readinessLines(pack)) say(line);
    return exitCodes.ok;
  },
};

/** "N of M ready", then one line per missing item with what to do. */
export function readinessLines(pack: Pick<HandoffPack, 'workflow_id' | 'stage' | 'readiness'>): string[] {
  const { ready, total, items } = pack.readiness;
  const missing = items.filter((i) => !i.ok);
  return [
    `readiness of ${pack.workflow_id} at ${pack.stage}: ${ready} of ${total} ready${missing.length === 0 ? '' : `; missing ${missing.length}:`}`,
    ...missing.map((i) => `  - ${i.label}: ${i.missing ?? 'missing'}`),
  ];
}
