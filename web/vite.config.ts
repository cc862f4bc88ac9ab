import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run dev` in web/ serves the pages with hot reload and sends /api to a `keel serve` on 4300.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 400 },
  server: { proxy: { '/api': 'http://127.0.0.1:4300' } },
});
