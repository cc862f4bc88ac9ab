import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // Generated or scratch output: schema/ comes from `npm run schema:json`, the rest from builds and runs.
  { ignores: ['dist/', 'web/dist/', 'node_modules/', '.keel/', 'coverage/', 'schema/', 'bench/.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Plain JavaScript here is Node scripts (scripts/*.mjs). ESLint itself runs on Node, so its own
    // globals are exactly the ones those scripts may use; this saves a dependency on `globals`.
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: {
      globals: Object.fromEntries(Object.getOwnPropertyNames(globalThis).map((name) => [name, 'readonly'])),
    },
  },
  {
    rules: {
      'no-eval': 'error',
      'no-new-func': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
);
