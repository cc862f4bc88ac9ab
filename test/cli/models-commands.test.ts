// keel models train, eval and list on the embedded database, with their own keel.yaml: a classifier
// trained from part of the BANKING77 file the example ships, measured on rows it did not see, a bad
// file refused naming its lines, and the model list that never shows a key.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson, runCli } from './cli-harness.js';

let dir: string;
let env: Record<string, string>;

/** Every 4th row of a few intents: a small, quick training file; the next row of each pair is held out. */
async function writeSubsets(): Promise<void> {
  const lines = (await readFile('workflows/data/banking77/train.csv', 'utf8')).trim().split(/\r?\n/);
  const header = lines[0]!;
  const wanted = ['card_arrival', 'lost_or_stolen_card', 'exchange_rate', 'pin_blocked', 'top_up_failed', 'request_refund'];
  const rows = lines.slice(1).filter((l) => wanted.some((w) => l.endsWith(`,${w}`)));
  await writeFile(join(dir, 'train.csv'), [header, ...rows.filter((_, i) => i % 4 !== 1)].join('\n'));
  await writeFile(join(dir, 'held-out.csv'), [header, ...rows.filter((_, i) => i % 4 === 1)].join('\n'));
  await writeFile(join(dir, 'broken.csv'), `${header}\n"fine text",card_arrival\n,card_arrival\n"no label",\n`);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keel-cli-models-'));
  await writeSubsets();
  await writeFile(join(dir, 'keel.yaml'), `
database: { dataDir: ${join(dir, 'data')} }
workflowsDir: ${join(dir, 'no-workflows')}
connectorsDir: ${join(dir, 'no-connectors')}
promptsDir: ${join(dir, 'no-prompts')}
models:
  intents: { provider: classifier, dataset: ${join(dir, 'train.csv')}, textColumn: text, labelColumn: category }
  writer: { provider: openai, model: gpt-4o-mini, fallbacks: [local] }
  local: { provider: openai-compatible, model: llama3.2, baseUrl: "http://127.0.0.1:11434/v1" }
`);
  env = { KEEL_CONFIG: join(dir, 'keel.yaml'), OPENAI_API_KEY: 'sk-never-shown-0123456789' };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('keel models', () => {
  it('trains the configured classifier once per file, with progress, and skips a file already trained', async () => {
    const first = await runCli(['models', 'train'], env);
    expect(first.stderr).toMatch(/intents: \w+ 100%/);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/intents: trained intents@1 on \d+ rows, 6 labels/);
    const again = await runCli(['models', 'train', 'intents', '--json'], env);
    expect(again.code).toBe(0);
    expect(parseJson(again)).toMatchObject({ trained: [{ name: 'intents', created: false, version: { id: 'intents@1' } }] });
    const forced = await runCli(['models', 'train', '--force', '--json'], env);
    expect(parseJson(forced)).toMatchObject({ trained: [{ created: true, version: { id: 'intents@2' } }] });
  }, 60_000);

  it('measures a trained classifier on held-out rows: accuracy, macro-F1 and calibration error', async () => {
    const r = await runCli(['models', 'eval', 'intents', '--data', join(dir, 'held-out.csv'), '--json'], env);
    expect(r.code).toBe(0);
    const result = parseJson<{ version: string; n: number; accuracy: number; macroF1: number; ece: number; perLabel: unknown[] }>(r);
    expect(result.version).toBe('intents@2');
    expect(result.n).toBeGreaterThan(150);
    expect(result.accuracy).toBeGreaterThan(0.85);
    expect(result.macroF1).toBeGreaterThan(0.85);
    expect(result.ece).toBeLessThan(0.15);
    expect(result.perLabel).toHaveLength(6);
    const text = await runCli(['models', 'eval', 'intents', '--data', join(dir, 'held-out.csv'), '--version', '1'], env);
    expect(text.stdout).toMatch(/intents@1 on .*held-out\.csv/);
    expect(text.stdout).toMatch(/accuracy\s+0\.\d{4}/);
  }, 60_000);

  it('refuses a labelled file with bad rows, naming each line, and an unknown classifier', async () => {
    const bad = await runCli(['models', 'eval', 'intents', '--data', join(dir, 'broken.csv')], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/line 3/);
    expect(bad.stderr).toMatch(/line 4/);
    const unknown = await runCli(['models', 'train', 'nope'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No classifier model named nope/);
  }, 60_000);

  it('lists the models with whether their key is set, never the key', async () => {
    const r = await runCli(['--local', 'models', 'list', '--json'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('sk-never-shown');
    const { models } = parseJson<{ models: Array<{ name: string; key: string; versions: unknown[] }> }>(r);
    expect(models.map((m) => [m.name, m.key])).toEqual([['template', 'not needed'], ['intents', 'not needed'], ['writer', 'set'], ['local', 'not needed'], ['default', 'set']]);
    expect(models.find((m) => m.name === 'intents')!.versions).toHaveLength(2);
    const table = await runCli(['--local', 'models', 'list'], env);
    expect(table.stdout).toMatch(/intents\s+classifier/);
  }, 60_000);
});
