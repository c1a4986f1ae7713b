// Type-aware linting plus the layer rules: src/ never reaches outward, server/ and indexer/ never
// import each other (cli/ composes them), encoders/ and store/ never import each other, and each
// native library has one home.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const native = (name, home) => ({
  group: [name],
  message: `${name} is imported only in ${home}; use the interface it exports.`,
});

const outward = {
  group: ['**/server/**', '**/indexer/**', '**/cli/**'],
  message: 'src/ must not depend on server/, indexer/ or cli/.',
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'server/public/**',
      'bench/node_modules/**',
      'bench/.data/**',
      'test-artifacts/**',
      'training/**',
      'fixtures/**',
      'bin/**',
      'native/**',
      '*.cjs',
      '*.mjs',
    ],
  },
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
    rules: { 'no-restricted-imports': ['error', { patterns: [outward] }] },
  },
  {
    // Encoders run graphs; the store keeps vectors. They meet only in neutral data (src/common, src/vector).
    files: ['src/encoders/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            outward,
            {
              group: ['**/store/**', '**/model/**', '**/search/**'],
              message:
                'src/encoders/ must not depend on store/, model/ or search/: share plain data through src/common/.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/store/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            outward,
            {
              group: ['**/encoders/**', '**/model/**', '**/search/**'],
              message:
                'src/store/ must not depend on encoders/, model/ or search/: share plain data through src/common/.',
            },
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
            {
              group: ['**/indexer/**', '**/cli/**'],
              message: 'server/ must not depend on indexer/ or cli/; cli/ composes them.',
            },
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
            {
              group: ['**/server/**', '**/cli/**'],
              message: 'indexer/ must not depend on server/ or cli/; cli/ composes them.',
            },
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
