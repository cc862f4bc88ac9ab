import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KeelError } from '../errors.js';

/**
 * One process at a time may open an embedded data folder: PGlite has no locking of its own, and a
 * second process (a `keel --local` command next to `keel serve`) would corrupt the files. A lock
 * left by a killed process (its pid no longer runs) is taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, 'keel.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(path, 'utf8').trim());
      // This very process counts as a holder too: a second open here would share the files just the same.
      if (Number.isInteger(holder) && holder > 0 && isRunning(holder)) {
        const who = holder === process.pid ? 'this process (it is already open here)' : `process ${holder}`;
        throw new KeelError('misconfigured', `The embedded database in ${dataDir} is in use by ${who}.`, {
          hint: `Stop that process (keel serve), or talk to it through its API with a token (KEEL_TOKEN). If no Keel runs, delete ${path}.`,
        });
      }
      rmSync(path, { force: true });
    }
  }
  throw new KeelError('misconfigured', `Cannot lock the embedded database folder ${dataDir}.`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
