// Layer boundaries of DESIGN.md §1 and ARCHITECTURE.md, enforced: core never sees vscode or the
// DOM, the protocol imports nothing outside itself, the webview never imports host-side code,
// nothing imports host/, the CLI and the host reach core only through core/analyze (plus
// core/onnx, core/report).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const nodeBuiltins = ['fs', 'path', 'os', 'child_process', 'worker_threads', 'crypto', 'stream', 'url', 'util', 'events', 'readline', 'zlib'];
const noNode = nodeBuiltins.flatMap((m) => [m, `${m}/*`]).concat(['node:*']);
// The CLI and the host reach the engine through one door (issue 9): core/analyze (the run path),
// core/onnx (static inspection) and core/report (JSON/HTML/CSV export); index modules only.
const coreOnlyThroughAnalyze = '(^|/)core(/(?!(analyze|onnx|report)$)|$)';
const coreOnlyMessage = 'the CLI and the host import core only through core/analyze (plus core/onnx for inspection, core/report for export), not its deeper modules.';
// The host also imports core/errors directly (issue 14): its activation bundle must not load the
// core/analyze index (and with it the engine) to test `instanceof InspectorError`; every other
// value of core reaches the host through host/engine.ts, loaded on first use.
const hostCoreOnlyThroughAnalyze = '(^|/)core(/(?!(analyze|onnx|report|errors)$)|$)';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'out/**', 'test-results/**', '.e2e-cache/**', 'examples/**', '**/*.js', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.mjs', 'scripts/**/*.ts', 'test/**/*.ts', 'extension/cli/**/*.ts'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['extension/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'core runs from the CLI and plain-Node tests: no vscode.' }],
        patterns: [
          { group: ['**/host/**', '**/host', '**/cli/**', '**/webview/**'], message: 'core depends on nothing above it.' },
        ],
      }],
      'no-restricted-globals': ['error', 'window', 'document', 'navigator'],
    },
  },
  // Inside core, from the ground up (DESIGN.md §1): onnx, data, report < runtime < metrics,
  // attention < quant < analyze. No import runs back up.
  ...[
    { layer: ['onnx', 'data', 'report'], above: ['runtime', 'metrics', 'attention', 'quant', 'analyze'] },
    { layer: ['runtime'], above: ['metrics', 'attention', 'quant', 'analyze'] },
    { layer: ['metrics', 'attention'], above: ['quant', 'analyze'] },
    { layer: ['quant'], above: ['analyze'] },
  ].map(({ layer, above }) => ({
    files: layer.map((l) => `extension/core/${l}/**/*.ts`),
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'core runs from the CLI and plain-Node tests: no vscode.' }],
        patterns: [
          { group: ['**/host/**', '**/host', '**/cli/**', '**/webview/**'], message: 'core depends on nothing above it.' },
          { group: above.flatMap((a) => [`../${a}`, `../${a}/**`]), message: `core/${layer.join('|')} may not import a higher core layer (${above.join(', ')}).` },
        ],
      }],
    },
  })),
  {
    files: ['extension/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'the protocol is shared with the webview: no vscode.' }],
        patterns: [
          { group: noNode, message: 'the protocol is shared with the webview: no node modules.' },
          { group: ['**/core/**', '**/host/**', '**/cli/**', '**/webview/**'], message: 'the protocol imports nothing of ours.' },
          { regex: '^(?!\\./)', message: 'the protocol imports nothing outside itself: only ./ modules of extension/protocol (no packages, no other layer).' },
        ],
      }],
    },
  },
  {
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'the webview talks to the host through extension/protocol only.' }],
        patterns: [
          { group: ['**/extension/core/**', '**/extension/host/**', '**/extension/cli/**'], message: 'the webview imports only extension/protocol.' },
          { group: noNode, message: 'the webview runs in a browser: no node modules.' },
        ],
      }],
    },
  },
  {
    files: ['extension/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'the CLI runs without VS Code.' }],
        patterns: [
          { group: ['**/host/**', '**/host'], message: 'nothing imports host/.' },
          { regex: coreOnlyThroughAnalyze, message: coreOnlyMessage },
        ],
      }],
    },
  },
  {
    files: ['extension/host/**/*.ts', 'extension/main.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/cli/**', '**/webview/**'], message: 'the host adapts core to VS Code: no CLI or webview code.' },
          { regex: hostCoreOnlyThroughAnalyze, message: coreOnlyMessage },
        ],
      }],
    },
  },
  {
    files: ['test/unit/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'unit tests run in plain Node.' }],
        patterns: [{ group: ['**/extension/host/**'], message: 'unit tests do not load host code (it needs vscode).' }],
      }],
    },
  },
);
