import tseslint from 'typescript-eslint';
export default [
  { files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'], ignores: ['src/console/web/**'],
    languageOptions: { parser: tseslint.parser, parserOptions: { project: './tsconfig.json', tsconfigRootDir: '/work/wt/async-store' } },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: { '@typescript-eslint/no-floating-promises': 'error', '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }], '@typescript-eslint/await-thenable': 'error' } },
];
