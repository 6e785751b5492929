// One activation, measured: loads dist/extension.js with a VS Code API stub in place of the
// `vscode` module, calls activate(context) and prints one JSON line — module load and activate
// time (wall and CPU), the files the activation required, the commands, views and editors it
// registered. Run by scripts/bench/activation.mjs in a fresh process per sample, and by the unit
// test of the split (test/unit/architecture/activation-split.test.ts).
// Usage: node scripts/bench/activation-harness.mjs [path/to/extension.js]
import Module, { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const bundle = resolve(process.argv[2] ?? join(root, 'dist/extension.js'));

/** What the activation asked of VS Code. */
const registered = { commands: [], views: [], editors: [], serializers: [], statusBarItems: 0, unknown: new Set() };

const disposable = () => ({ dispose() {} });
const event = () => () => disposable();

class Disposable {
  constructor(callOnDispose) { this.callOnDispose = callOnDispose; }
  static from(...items) { return new Disposable(() => items.forEach((d) => d.dispose())); }
  dispose() { this.callOnDispose?.(); }
}
class EventEmitter {
  listeners = new Set();
  event = (listener) => { this.listeners.add(listener); return { dispose: () => this.listeners.delete(listener) }; };
  fire(value) { for (const l of this.listeners) l(value); }
  dispose() { this.listeners.clear(); }
}
class Uri {
  constructor(fsPath) { this.fsPath = fsPath; this.path = fsPath; this.scheme = 'file'; }
  static file(path) { return new Uri(path); }
  static joinPath(base, ...parts) { return new Uri(join(base.fsPath, ...parts)); }
  static parse(value) { return new Uri(value.replace(/^file:\/\//, '')); }
  with() { return this; }
  toString() { return pathToFileURL(this.fsPath).href; }
}
class TreeItem { constructor(label, collapsibleState) { this.label = label; this.collapsibleState = collapsibleState; } }
class ThemeIcon { constructor(id, color) { this.id = id; this.color = color; } static File = new ThemeIcon('file'); static Folder = new ThemeIcon('folder'); }
class ThemeColor { constructor(id) { this.id = id; } }
class RelativePattern { constructor(base, pattern) { this.base = base; this.pattern = pattern; } }
class Position { constructor(line, character) { this.line = line; this.character = character; } }
class Range { constructor(a, b, c, d) { this.start = new Position(a, b); this.end = new Position(c, d); } }
class Diagnostic { constructor(range, message, severity) { this.range = range; this.message = message; this.severity = severity; } }
class CodeAction { constructor(title, kind) { this.title = title; this.kind = kind; } }
class CodeActionKind { constructor(value) { this.value = value; } static QuickFix = new CodeActionKind('quickfix'); static Empty = new CodeActionKind(''); }

/** A namespace whose unknown members are no-op functions returning a disposable, recorded. */
function namespace(name, members) {
  return new Proxy(members, {
    get(target, key) {
      if (key in target || typeof key === 'symbol') return target[key];
      registered.unknown.add(`${name}.${String(key)}`);
      return () => disposable();
    },
  });
}

const configuration = { get: (_key, fallback) => fallback, has: () => false, inspect: () => undefined, update: async () => undefined };
const statusBarItem = () => { registered.statusBarItems++; return { show() {}, hide() {}, dispose() {} }; };
const outputChannel = () => ({ info() {}, warn() {}, error() {}, debug() {}, trace() {}, append() {}, appendLine() {}, show() {}, dispose() {} });

const vscode = {
  version: '1.95.0',
  Disposable, EventEmitter, Uri, TreeItem, ThemeIcon, ThemeColor, RelativePattern, Position, Range, Diagnostic, CodeAction, CodeActionKind,
  StatusBarAlignment: { Left: 1, Right: 2 },
  TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
  ViewColumn: { Active: -1, Beside: -2, One: 1, Two: 2 },
  ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
  DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 },
  ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
  QuickPickItemKind: { Separator: -1, Default: 0 },
  QuickInputButtons: { Back: { iconPath: new ThemeIcon('arrow-left') } },
  commands: namespace('commands', {
    registerCommand: (id) => { registered.commands.push(id); return disposable(); },
    executeCommand: async () => undefined,
  }),
  window: namespace('window', {
    createOutputChannel: outputChannel,
    createStatusBarItem: statusBarItem,
    createTreeView: (id) => { registered.views.push(id); return { onDidChangeVisibility: event(), onDidChangeSelection: event(), reveal: async () => undefined, dispose() {} }; },
    registerTreeDataProvider: (id) => { registered.views.push(id); return disposable(); },
    registerCustomEditorProvider: (id) => { registered.editors.push(id); return disposable(); },
    registerWebviewPanelSerializer: (id) => { registered.serializers.push(id); return disposable(); },
    onDidChangeActiveTextEditor: event(),
    showErrorMessage: async () => undefined,
    showWarningMessage: async () => undefined,
    showInformationMessage: async () => undefined,
  }),
  workspace: namespace('workspace', {
    isTrusted: true,
    workspaceFolders: [],
    getConfiguration: () => configuration,
    onDidChangeConfiguration: event(),
    onDidGrantWorkspaceTrust: event(),
    onDidChangeTextDocument: event(),
    onDidOpenTextDocument: event(),
    onDidCloseTextDocument: event(),
    onDidSaveTextDocument: event(),
    textDocuments: [],
    createFileSystemWatcher: () => ({ onDidChange: event(), onDidCreate: event(), onDidDelete: event(), dispose() {} }),
    findFiles: async () => [],
    asRelativePath: (p) => (typeof p === 'string' ? p : p.fsPath),
  }),
  languages: namespace('languages', {
    createDiagnosticCollection: () => ({ set() {}, delete() {}, clear() {}, dispose() {} }),
    registerCodeActionsProvider: () => disposable(),
  }),
  env: namespace('env', { language: 'en', appName: 'harness' }),
};

const storage = mkdtempSync(join(tmpdir(), 'bias-inspector-activation-'));
const context = {
  subscriptions: [],
  extensionUri: Uri.file(dirname(dirname(bundle))),
  extensionPath: dirname(dirname(bundle)),
  globalStorageUri: Uri.file(storage),
  storageUri: Uri.file(storage),
  logUri: Uri.file(storage),
  globalState: { get: (_k, d) => d, update: async () => undefined, keys: () => [] },
  workspaceState: { get: (_k, d) => d, update: async () => undefined, keys: () => [] },
  extension: { packageJSON: createRequire(import.meta.url)(join(root, 'package.json')), id: 'bias-inspector.bias-inspector' },
  asAbsolutePath: (p) => join(dirname(dirname(bundle)), p),
};

// `vscode` is provided by the extension host, not a file: answer it from the stub.
const load = Module._load;
Module._load = function (request, ...rest) {
  return request === 'vscode' ? vscode : load.call(this, request, ...rest);
};

const require = createRequire(import.meta.url);
const before = new Set(Object.keys(require.cache));
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
const extension = require(bundle);
const t1 = process.hrtime.bigint();
const cpu1 = process.cpuUsage();
await extension.activate(context);
const t2 = process.hrtime.bigint();
const cpu2 = process.cpuUsage();
const ms = (a, b) => Number(b - a) / 1e6;
const cpuMs = (a, b) => (b.user - a.user + b.system - a.system) / 1000;
const relative = (f) => (f.startsWith(root) ? f.slice(root.length + 1) : f);
const loaded = Object.keys(require.cache).filter((f) => !before.has(f)).map(relative);
// What activation started asynchronously (a view's first refresh) must not load the engine either.
await new Promise((done) => setTimeout(done, 100));
const loadedWhenIdle = Object.keys(require.cache).filter((f) => !before.has(f)).map(relative);
// First use: what the first command or editor then pays once, requiring the engine bundle.
const engineFile = join(dirname(bundle), 'engine.js');
let engineMs = null;
let engineCpuMs = null;
if (!loadedWhenIdle.includes(relative(engineFile))) {
  try {
    const cpu3 = process.cpuUsage();
    const t3 = process.hrtime.bigint();
    require(engineFile);
    engineMs = ms(t3, process.hrtime.bigint());
    engineCpuMs = cpuMs(cpu3, process.cpuUsage());
  } catch {
    // A bundle without a separate engine (before the split): nothing to time.
  }
}
for (const d of context.subscriptions) d.dispose?.();
rmSync(storage, { recursive: true, force: true });
console.log(JSON.stringify({
  loadMs: ms(t0, t1), activateMs: ms(t1, t2), totalMs: ms(t0, t2),
  loadCpuMs: cpuMs(cpu0, cpu1), activateCpuMs: cpuMs(cpu1, cpu2),
  loaded, loadedWhenIdle, engineMs, engineCpuMs,
  commands: registered.commands, views: registered.views, editors: registered.editors, serializers: registered.serializers,
  statusBarItems: registered.statusBarItems, unknownApi: [...registered.unknown],
}));
// The extension may leave timers (watchers, debounces) behind; the sample is done.
process.exit(0);
