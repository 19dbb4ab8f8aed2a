import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

// bot/ is the core: it defines the interfaces and never imports the modules that implement them.
// The relative path out of bot/ depends on how deep the importing file sits (bot/handoff/x.ts
// may import ../nlu, which is bot/nlu.ts, but not ../../nlu).
const outerModules = (up) => [
  ...['channels', 'nlu', 'skills', 'admin', 'commerce'].flatMap((dir) => [`${up}${dir}`, `${up}${dir}/**`]),
  `${up}main`,
];
const keepBotInside = (files, up) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: outerModules(up),
            message: 'bot/ must not import outer modules; register them in main.ts.',
          },
        ],
      },
    ],
  },
});

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'coverage/', 'test-artifacts/', 'bot/store/migrations/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' },
      ],
    },
  },
  keepBotInside(['bot/*.ts'], '../'),
  keepBotInside(['bot/*/*.ts'], '../../'),
  keepBotInside(['bot/*/*/*.ts'], '../../../'),
  // Tools that load these files want a default export.
  {
    files: ['*.config.{ts,mjs,js}', 'eslint.config.mjs', 'tests/support/global-setup.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  { files: ['tests/**/*.ts', '**/*.test.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  {
    files: [
      'channels/web/widget/**/*.ts',
      'admin/workspace/*.ts',
      'admin/workspace/views/*.ts',
      'admin/web/*.ts',
      'admin/web/views/*.ts',
      'admin/browser/*.ts',
    ],
    languageOptions: { globals: { ...globals.browser } },
  },
  { files: ['**/*.mjs'], languageOptions: { sourceType: 'module', globals: { ...globals.node } } },
  // Plain CommonJS entry points (the training worker loads TypeScript through tsx's require hook).
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
