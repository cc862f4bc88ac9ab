// Where a restart's time goes, on an already migrated data folder: importing PGlite, opening it
// (WebAssembly instantiation and the embedded Postgres starting), the no-op migration check, and
// importing the rest of the built composition root. Prints one JSON line.
const t0 = performance.now();
await import('@electric-sql/pglite');
const t1 = performance.now();
const { openPglite, migrate } = await import('../../dist/db/index.js');
const t2 = performance.now();
const db = await openPglite({ dataDir: process.argv[2], fsync: false });
const t3 = performance.now();
await migrate(db);
const t4 = performance.now();
await import('../../dist/app.js');
const t5 = performance.now();
const mem = process.memoryUsage();
await db.close();
const mb = (n) => Math.round(n / 1048576);
console.log(JSON.stringify({
  importPglite: t1 - t0, importDbPort: t2 - t1, openPglite: t3 - t2, migrateNoop: t4 - t3, importApp: t5 - t4,
  memory: { rssMb: mb(mem.rss), v8HeapUsedMb: mb(mem.heapUsed), v8HeapTotalMb: mb(mem.heapTotal), arrayBuffersMb: mb(mem.arrayBuffers), externalMb: mb(mem.external) },
}));
