// Child processes for benchmarks: TypeScript children run with `node --import tsx`, talk over the
// IPC channel ({ type, ... } messages), and are ended by their own pid only.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { benchDir, repoDir } from './databases.js';

export interface ChildMessage {
  type: string;
  [key: string]: unknown;
}

export interface Child {
  readonly pid: number;
  readonly process: ChildProcess;
  send(message: ChildMessage): void;
  /** The next message of this type (already received ones count), or a rejection after timeoutMs. */
  next(type: string, timeoutMs?: number): Promise<ChildMessage>;
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string | null>;
  /** SIGTERM, then SIGKILL after graceMs if it has not exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Forks bench/children/<name>.ts under tsx with extra environment variables. */
export function spawnBenchChild(name: string, env: Record<string, string> = {}, args: string[] = []): Child {
  const proc = fork(join(benchDir, 'children', `${name}.ts`), args, {
    cwd: repoDir,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return wrapChild(proc);
}

export function wrapChild(proc: ChildProcess): Child {
  const inbox: ChildMessage[] = [];
  const waiters: Array<{ type: string; resolve(m: ChildMessage): void }> = [];
  proc.on('message', (raw) => {
    const message = raw as ChildMessage;
    const i = waiters.findIndex((w) => w.type === message.type);
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(message);
    else inbox.push(message);
  });
  const exited = new Promise<number | string | null>((resolve) => proc.on('exit', (code, signal) => resolve(code ?? signal)));
  return {
    pid: proc.pid!,
    process: proc,
    exited,
    send(message) {
      if (proc.connected) proc.send(message);
    },
    next(type, timeoutMs = 60_000) {
      const i = inbox.findIndex((m) => m.type === type);
      if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0]!);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`child ${proc.pid} sent no "${type}" within ${timeoutMs} ms`)), timeoutMs);
        const onExit = (code: number | null) => reject(new Error(`child ${proc.pid} exited (${code}) before sending "${type}"`));
        proc.once('exit', onExit);
        waiters.push({
          type,
          resolve(m) {
            clearTimeout(timer);
            proc.off('exit', onExit);
            resolve(m);
          },
        });
      });
    },
    async stop(graceMs = 5_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** In a child: send a message to the parent. */
export function tellParent(message: ChildMessage): void {
  process.send?.(message);
}

/** In a child: the next message of this type from the parent. */
export function fromParent(type: string): Promise<ChildMessage> {
  return new Promise((resolve) => {
    const on = (raw: unknown) => {
      const m = raw as ChildMessage;
      if (m.type !== type) return;
      process.off('message', on);
      resolve(m);
    };
    process.on('message', on);
  });
}
