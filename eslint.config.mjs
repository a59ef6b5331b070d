// Promise discipline only (npm run lint): the stores are asynchronous, so a forgotten `await` is
// a write that may not have happened, or an unhandled rejection that stops the server. Style is
// left to the reviewers and style.md.
import tseslint from 'typescript-eslint';

export default [
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    ignores: ['src/console/web/**'],
    languageOptions: { parser: tseslint.parser, parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname } },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
];
