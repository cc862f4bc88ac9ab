// tsc does not copy non-TypeScript files; the migrations ship beside the compiled runner.
import { cpSync } from 'node:fs';
cpSync('src/db/migrations', 'dist/db/migrations', { recursive: true });
