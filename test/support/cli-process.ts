// Runs the real `keel` command (src/cli/main.ts through tsx) as a child process, as an operator would.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const live = new Set<ChildProcess>();

export interface KeelProcess {
  readonly pid: number;
  output(): string;
  /** Resolves with the first match of `pattern` in stdout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

export function startKeelProcess(args: string[], env: Record<string, string>): KeelProcess {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'DATABASE_URL' && !k.startsWith('KEEL_')));
  const proc = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: repoRoot, env: { ...base, KEEL_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((resolve) => proc.on('exit', () => { live.delete(proc); resolve(); }));
  return {
    pid: proc.pid!,
    output: () => out,
    async waitFor(pattern, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = out.match(pattern);
        if (m) return m;
        if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`keel ${args.join(' ')} did not print ${pattern}:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Kills every child still alive (afterEach), so no test leaves a process behind. */
export async function killKeelProcesses(): Promise<void> {
  for (const p of live) p.kill('SIGKILL');
  live.clear();
}
