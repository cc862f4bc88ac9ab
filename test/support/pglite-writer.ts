// Child process for the embedded-database crash test: opens a PGlite folder as Keel does, commits
// one row, says so, and kills itself with SIGKILL before any clean shutdown.
import { openPglite } from '../../src/db/index.js';

const [dir, fsync] = process.argv.slice(2);
const db = await openPglite({ dataDir: dir!, fsync: fsync === 'true' });
await db.exec('CREATE TABLE IF NOT EXISTS crash_probe (n int)');
await db.query('INSERT INTO crash_probe VALUES (1)');
process.stdout.write('COMMITTED\n');
process.kill(process.pid, 'SIGKILL');
