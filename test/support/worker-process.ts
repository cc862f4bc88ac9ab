// Starts test/support/worker-child.ts as a real child process and follows what it prints, so crash
// tests can kill it at fault points and check which point fired. Every child started here is
// remembered until it exits; `killWorkerChildren()` (in afterEach) SIGKILLs any still alive.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('./worker-child.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface WorkerChild {
  readonly pid: number;
  /** Resolves with the child's own clock when it printed READY; rejects if it exits first. */
  readonly ready: Promise<{ at: number; workerId: string }>;
  readonly exited: Promise<ChildExit>;
  readonly exit: ChildExit | undefined;
  /** Points that fired, as `point:step` (from the `KEEL_FAULT_FIRED` lines on stderr). */
  faultsFired(): string[];
  /** Runs the child saw terminal or waiting (KEEL_CHILD_WATCH=1), with the child's clock. */
  readonly settled: Map<string, { status: string; at: number }>;
  /** Resolves once the child has reported every one of these runs settled. */
  waitSettled(runIds: readonly string[], timeoutMs: number): Promise<void>;
  /** Has the child start a run (`START`) and resolves with its id. */
  startRun(request: { workflowId: string; input: unknown }, timeoutMs?: number): Promise<string>;
  /** Resolves once stderr matches (e.g. a fault point that stops the child fired). */
  waitStderr(pattern: RegExp, timeoutMs: number): Promise<void>;
  readonly stderr: string;
  signal(name: NodeJS.Signals): void;
  /** SIGTERM (and SIGCONT, in case it is stopped), then SIGKILL if it has not exited in time. */
  stop(timeoutMs?: number): Promise<ChildExit>;
}

const live = new Set<ChildProcess>();

/**
 * Starts a worker child with exactly these settings: the test's own DATABASE_URL and KEEL_* variables
 * are not passed on, so a developer's shell cannot point a child at another database or arm faults.
 */
export function startWorkerChild(env: Record<string, string>): WorkerChild {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => name !== 'DATABASE_URL' && !name.startsWith('KEEL_')),
  );
  const proc = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: repoRoot,
    env: { ...base, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  live.add(proc);
  let stdout = '';
  let stderr = '';
  let exit: ChildExit | undefined;
  const settled = new Map<string, { status: string; at: number }>();
  const started: string[] = [];
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((l) => l());

  const exited = new Promise<ChildExit>((resolve) => {
    proc.on('exit', (code, signal) => {
      exit = { code, signal };
      live.delete(proc);
      resolve(exit);
      notify();
    });
  });
  let readyLine: { at: number; workerId: string } | undefined;
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    let newline: number;
    while ((newline = stdout.indexOf('\n')) >= 0) {
      const [word, ...rest] = stdout.slice(0, newline).split(' ');
      stdout = stdout.slice(newline + 1);
      if (word === 'READY') readyLine = { at: Number(rest[0]), workerId: rest[1] ?? '' };
      if (word === 'SETTLED') settled.set(rest[0]!, { status: rest[1]!, at: Number(rest[2]) });
      if (word === 'STARTED') started.push(rest[0]!);
    }
    notify();
  });
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    notify();
  });
  // The child may die (that is the point) while we write to it; a broken pipe is expected then.
  proc.stdin!.on('error', () => {});

  const until = <T>(what: string, check: () => T | undefined, timeoutMs: number): Promise<T> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`worker child ${proc.pid}: timed out after ${timeoutMs} ms waiting for ${what}; stderr:\n${stderr}`)), timeoutMs);
      const listener = () => {
        const value = check();
        if (value !== undefined) done(undefined, value);
        else if (exit) done(new Error(`worker child ${proc.pid} exited (${JSON.stringify(exit)}) before ${what}; stderr:\n${stderr}`));
      };
      function done(error?: Error, value?: T) {
        clearTimeout(timer);
        listeners.delete(listener);
        if (error) reject(error);
        else resolve(value as T);
      }
      listeners.add(listener);
      listener();
    });

  const ready = until('READY', () => readyLine, 60_000);
  ready.catch(() => {}); // observed by whoever awaits it; never an unhandled rejection

  return {
    pid: proc.pid!,
    ready,
    exited,
    get exit() {
      return exit;
    },
    get stderr() {
      return stderr;
    },
    settled,
    faultsFired: () => [...stderr.matchAll(/^KEEL_FAULT_FIRED (\S+)/gm)].map((m) => m[1]!),
    waitSettled: (runIds, timeoutMs) =>
      until(`runs ${runIds.join(', ')} to settle`, () => (runIds.every((id) => settled.has(id)) ? true : undefined), timeoutMs).then(() => {}),
    startRun(request, timeoutMs = 10_000) {
      const before = started.length;
      proc.stdin!.write(`START ${JSON.stringify(request)}\n`);
      return until(`run of ${request.workflowId} to start`, () => started[before], timeoutMs);
    },
    waitStderr: (pattern, timeoutMs) => until(`stderr to match ${pattern}`, () => (pattern.test(stderr) ? true : undefined), timeoutMs).then(() => {}),
    signal(name) {
      if (!exit) proc.kill(name);
    },
    async stop(timeoutMs = 10_000) {
      if (exit) return exit;
      proc.kill('SIGCONT');
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** SIGKILLs every child this process started that is still alive (stopped ones included). */
export async function killWorkerChildren(): Promise<void> {
  const waiting = [...live].map((proc) => new Promise<void>((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  }));
  await Promise.all(waiting);
}
