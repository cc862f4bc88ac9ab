// What the figures were measured on: cores, memory, CPU model, Node, PostgreSQL and its settings.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { postgresBaseUrl, repoDir } from './databases.js';

export interface Machine {
  nproc: string;
  memory: string;
  cpu: string;
  node: string;
  postgres: string;
  postgresSettings: string;
  pglite: string;
  graphileWorker: string;
  kernel: string;
}

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(repoDir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

export async function describeMachine(): Promise<Machine> {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const mhz = /cpu MHz\s*:\s*(.*)/.exec(cpuinfo)?.[1];
  const memLine = run('free', ['-h']).split('\n').find((l) => l.startsWith('Mem:')) ?? '';
  const [, total, used, free] = memLine.split(/\s+/);
  let postgres: string;
  let postgresSettings = '';
  try {
    const c = new pg.Client({ connectionString: postgresBaseUrl });
    await c.connect();
    postgres = (await c.query<{ v: string }>('SELECT version() AS v')).rows[0]!.v;
    const names = ['fsync', 'synchronous_commit', 'wal_sync_method', 'shared_buffers', 'max_connections', 'commit_delay', 'autovacuum'];
    const s = await c.query<{ name: string; setting: string; unit: string | null }>(
      `SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1) ORDER BY name`, [names],
    );
    postgresSettings = s.rows.map((r) => `${r.name}=${r.setting}${r.unit && r.unit !== 'ms' ? ` ${r.unit}` : ''}`).join(', ');
    await c.end();
  } catch (error) {
    postgres = `unreachable (${(error as Error).message})`;
  }
  return {
    nproc: run('nproc', []),
    memory: `${total ?? '?'} total, ${used ?? '?'} used, ${free ?? '?'} free (free -h)`,
    cpu: `${model}${mhz ? ` @ ${Math.round(Number(mhz))} MHz` : ''}`,
    node: process.version,
    postgres,
    postgresSettings,
    pglite: `@electric-sql/pglite ${packageVersion('@electric-sql/pglite')}`,
    graphileWorker: `graphile-worker ${packageVersion('graphile-worker')}`,
    kernel: run('uname', ['-sr']),
  };
}
