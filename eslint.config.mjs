// Type-aware linting plus the layer rules: server/ and indexer/ use src/ only through its
// public modules, src/ never reaches outward, and each native library has one home.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const native = (name, home) => ({
  group: [name],
  message: `${name} is imported only in ${home}; use the interface it exports.`,
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'server/public/**', 'bench/node_modules/**', 'bench/.data/**', 'test-artifacts/**', 'training/**', 'fixtures/**', 'bin/**', '*.cjs', '*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      eqeqeq: ['error', 'always'],
      curly: ['error', 'multi-line'],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/server/**', '**/indexer/**'], message: 'src/ must not depend on server/ or indexer/.' },
          ],
        },
      ],
    },
  },
  {
    files: ['server/**/*.ts', 'indexer/**/*.ts', 'cli/**/*.ts', 'bench/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            native('onnxruntime-node', 'src/encoders/onnx-session.ts'),
            native('sharp', 'src/image/'),
            native('hnswlib-node', 'src/vector/hnsw-index.ts'),
            native('better-sqlite3', 'src/store/database.ts'),
          ],
        },
      ],
    },
  },
  {
    // The two faces never import each other: the command line (cli/) composes them.
    files: ['server/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/indexer/**', '**/cli/**'], message: 'server/ must not depend on indexer/ or cli/; cli/ composes them.' },
            native('onnxruntime-node', 'src/encoders/onnx-session.ts'),
            native('sharp', 'src/image/'),
            native('hnswlib-node', 'src/vector/hnsw-index.ts'),
            native('better-sqlite3', 'src/store/database.ts'),
          ],
        },
      ],
    },
  },
  {
    files: ['indexer/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/server/**', '**/cli/**'], message: 'indexer/ must not depend on server/ or cli/; cli/ composes them.' },
            native('onnxruntime-node', 'src/encoders/onnx-session.ts'),
            native('sharp', 'src/image/'),
            native('hnswlib-node', 'src/vector/hnsw-index.ts'),
            native('better-sqlite3', 'src/store/database.ts'),
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-expressions': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
