// Fallback for the footprint benchmark when the built CLI is missing: `keel serve` composed from
// the built composition root (dist/app.js), configured from the environment like the CLI does.
import { startKeel } from '../../dist/app.js';
import { loadConfig } from '../../dist/config/index.js';

const config = loadConfig({ env: process.env });
const keel = await startKeel(config, { http: true, workers: true, scheduler: true, loadWorkflows: true });
const stop = async () => {
  await keel.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
