import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type {
  AnalysisSpec, ColumnProfile, InputMapping, SpecSuggestions, SuggestHints, Task,
} from '../core/analyze';
import { engine } from './loadEngine';
import type { DryRunAnalysis, DryRunResult, DryRunStep } from '../protocol/dryRun';
import type { ModelSummary } from '../protocol/model';
import { runAnalysisInWorker, runOverrides } from './analysisWorker';
import { log } from './log';

/** The analyses a guided spec is written for (each asks only what it needs). */
export type FlowAnalysis = 'groups' | 'attention' | 'slices';

/** `<model>.bias.json` next to the model. */
export function defaultSpecPath(model: vscode.Uri): string {
  return model.fsPath.replace(/\.onnx$/i, '') + '.bias.json';
}

/**
 * The spec for a model: `<model>.bias.json` when it exists, else another `*.bias.json` in the
 * model's folder whose "model" points at it. Returns undefined when there is none.
 */
export async function findSpec(model: vscode.Uri): Promise<string | undefined> {
  const direct = defaultSpecPath(model);
  if (existsSync(direct)) return direct;
  const folder = dirname(model.fsPath);
  for (const name of (await readdir(folder)).filter((f) => f.endsWith('.bias.json')).sort()) {
    try {
      const json = JSON.parse(await readFile(join(folder, name), 'utf8')) as { model?: unknown };
      if (typeof json.model === 'string' && resolve(folder, json.model) === model.fsPath) return join(folder, name);
    } catch {
      // Not a readable spec: the guided flow or an explicit open will report it.
    }
  }
  return undefined;
}

/**
 * The spec file to run with: the found one, or the guided flow's (checked, saved next to the
 * model). Only its path: the analysis worker loads it (and reports a bad spec naming the file and field).
 */
export async function specForModel(extensionUri: vscode.Uri, model: vscode.Uri, analysis: FlowAnalysis): Promise<string | undefined> {
  const found = await findSpec(model);
  if (found) {
    log().info(`using spec ${found}`);
    return found;
  }
  const choice = await vscode.window.showInformationMessage(
    `No analysis spec for ${basename(model.fsPath)} yet. Pick the evaluation data and confirm the suggested columns; the spec is checked on the first rows, saved as ${basename(defaultSpecPath(model))}, and the analysis runs.`,
    { modal: false }, 'Create Spec…',
  );
  if (choice !== 'Create Spec…') return undefined;
  return createSpecGuided(extensionUri, model, analysis);
}

export type Item<T> = vscode.QuickPickItem & { value: T };
type Step = 'data' | 'label' | 'task' | 'groups' | 'inputs' | 'slices';
type TableAnalysis = FlowAnalysis;

/** The steps each analysis asks, in order (attention reads no label, so it asks for none; slices add their candidate columns). */
const STEPS: Readonly<Record<TableAnalysis, readonly Step[]>> = {
  groups: ['data', 'label', 'task', 'groups', 'inputs'],
  attention: ['data', 'groups', 'inputs'],
  slices: ['data', 'label', 'task', 'groups', 'inputs', 'slices'],
};

/** Choices made so far; a later step's suggestions are recomputed with them. */
interface Choices {
  data?: string;
  label?: string;
  task?: Task;
  groups?: string[];
  inputs: Record<string, InputMapping>;
  /** Candidate columns of slice discovery (`slices.columns`). */
  slices?: string[];
}

/** What the flow knows about the model and the data picked. */
interface Context {
  readonly model: ModelSummary;
  readonly columns: readonly ColumnProfile[];
  readonly files: readonly string[];
}

/** Back (to the previous step), or cancelled (Escape). */
export const BACK = Symbol('back');
export type Answer<T> = T | typeof BACK | undefined;

/**
 * The guided spec: data, label, task, groups, input columns, each a ranked pick with the reason
 * of every suggestion. The spec is dry-run on the first rows before it is saved (trusted
 * workspaces); when it would not run, the flow says why and returns to the step to fix.
 * Returns the saved spec's path, or undefined when the user cancelled.
 */
export async function createSpecGuided(extensionUri: vscode.Uri, model: vscode.Uri, analysis: FlowAnalysis = 'groups'): Promise<string | undefined> {
  const specPath = defaultSpecPath(model);
  if (!(await confirmReplace(specPath, model))) return undefined;
  const summary = await engine().inspectModel(model.fsPath);
  const steps = STEPS[analysis];
  const choices: Choices = { inputs: {} };
  let context: Context | undefined;
  let step = 0;
  for (;;) {
    if (step < 0) return undefined;
    if (step >= steps.length) {
      if (!context || !choices.data) { step = 0; continue; }
      const s = suggest(context, choices);
      const base = engine().specFromSuggestions(s, { model: model.fsPath, data: choices.data, specPath }, { ...hints(choices), inputs: choices.inputs });
      const spec: AnalysisSpec = analysis === 'slices' && choices.slices ? { ...base, slices: { columns: choices.slices } } : base;
      const blocked = blockingProblem(s, analysis, choices);
      if (blocked) {
        const back = await vscode.window.showErrorMessage(`The spec cannot be written: ${blocked.message}`, ...(blocked.step ? [`Change ${STEP_TITLES[blocked.step]}`] : []));
        if (!back || !blocked.step) return undefined;
        step = steps.indexOf(blocked.step);
        continue;
      }
      const checked = await checkSpec(extensionUri, spec, specPath, analysis);
      if (checked && !checked.ok) {
        const target = stepToFix(checked, steps);
        log().warn(`guided spec for ${model.fsPath}: the dry run failed at step ${checked.step}: ${checked.message}`);
        const choice = await vscode.window.showErrorMessage(
          `The spec would not run (${checked.step}): ${checked.message}`,
          ...(target ? [`Change ${STEP_TITLES[target]}`] : []), 'Show Output',
        );
        if (choice === 'Show Output') log().show();
        if (!target || choice !== `Change ${STEP_TITLES[target]}`) return undefined;
        step = steps.indexOf(target);
        continue;
      }
      await engine().writeSpec(specPath, spec);
      log().info(`wrote ${specPath}${checked ? `; checked: ${checked.message}` : '; not checked (untrusted workspace)'}`);
      return specPath;
    }
    const name = steps[step]!;
    const answer = name === 'data'
      ? await pickData(model)
      : await askStep(name, context!, choices, analysis, model, specPath);
    if (answer === undefined) return undefined;
    if (answer === BACK) { step--; continue; }
    if (name === 'data' && typeof answer === 'string') {
      if (answer !== choices.data) {
        choices.data = answer;
        context = { model: summary, columns: await engine().profileData(answer), files: await engine().filesNextTo(answer) };
        delete choices.label; delete choices.task; delete choices.groups; delete choices.slices;
        choices.inputs = {};
      }
    }
    step++;
  }
}

/**
 * True when `specPath` may be written: it does not exist, or the user chose to replace it
 * (*Open Existing* opens it). The user's spec may hold hand-written fields (spans, tokenizer,
 * loss): it is never replaced silently.
 */
export async function confirmReplace(specPath: string, model: vscode.Uri): Promise<boolean> {
  if (existsSync(specPath)) {
    const choice = await vscode.window.showWarningMessage(
      `${basename(specPath)} already exists next to ${basename(model.fsPath)}. Replace it with a new spec from the guided pick?`,
      { modal: true }, 'Replace', 'Open Existing',
    );
    if (choice === 'Open Existing') await vscode.window.showTextDocument(vscode.Uri.file(specPath));
    return choice === 'Replace';
  }
  return true;
}

const STEP_TITLES: Readonly<Record<Step, string>> = { data: 'Data', label: 'Label', task: 'Task', groups: 'Groups', inputs: 'Input Columns', slices: 'Slice Columns' };

function hints(c: Choices): Pick<SuggestHints, 'label' | 'groups' | 'task'> {
  return { ...(c.label !== undefined ? { label: c.label } : {}), ...(c.groups ? { groups: c.groups } : {}), ...(c.task ? { task: c.task } : {}) };
}

function suggest(context: Context, choices: Choices): SpecSuggestions {
  return engine().suggestSpec(context.model, context.columns, { ...hints(choices), ...(choices.data ? { dataPath: choices.data } : {}), files: context.files });
}

/** A problem the suggestions already know stops the spec (no label fits, an input without mapping). */
function blockingProblem(s: SpecSuggestions, analysis: TableAnalysis, choices: Choices): { message: string; step?: Step } | undefined {
  for (const i of s.inputs) if (!i.mapping && !choices.inputs[i.input]) return { message: `${i.described}: ${i.reason}`, step: 'data' };
  if (analysis !== 'attention') {
    const label = choices.label ?? s.labels.find((l) => l.fits)?.value;
    if (label === undefined && s.tasks[0]?.value !== 'language_model') return { message: s.problems.find((p) => p.includes('label')) ?? 'no label column', step: 'label' };
    if (s.tasks[0]?.value === 'language_model') return { message: 'the model is a language model ([B, T, V] output): per-group metrics and slices need a classifier or regressor; use Probe Language Model… or Attention Heatmaps' };
  }
  return undefined;
}

/** Dry run in the analysis worker (trusted workspaces only); undefined when it was not run. */
export async function checkSpec(extensionUri: vscode.Uri, spec: unknown, specPath: string, analysis: DryRunAnalysis): Promise<DryRunResult | undefined> {
  if (!vscode.workspace.isTrusted) return undefined;
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Checking the spec on the first rows', cancellable: false }, () =>
    runAnalysisInWorker(extensionUri, 'dryRun', { spec, baseDir: dirname(specPath), specPath, analysis, overrides: runOverrides() }, undefined, () => undefined));
}

/** The step that fixes a failed dry run, among the analysis's steps. */
function stepToFix(result: Extract<DryRunResult, { ok: false }>, steps: readonly Step[]): Step | undefined {
  const by: Partial<Record<DryRunStep, Step>> = { data: 'data', label: 'label', groups: 'groups', inputs: 'inputs', output: 'task', columns: 'inputs', slices: 'slices' };
  let target = by[result.step];
  if (result.step === 'columns') target = /field "label"/.test(result.message) ? 'label' : /field "groups/.test(result.message) ? 'groups' : /slices/.test(result.message) && steps.includes('slices') ? 'slices' : 'inputs';
  if (target && !steps.includes(target)) target = target === 'task' || target === 'label' ? 'data' : undefined;
  return target;
}

async function pickData(model: vscode.Uri): Promise<Answer<string>> {
  const folder = dirname(model.fsPath);
  const found = await vscode.workspace.findFiles('**/*.{csv,tsv,jsonl,ndjson,parquet}', '**/{node_modules,.git,.bias-inspector}/**', 200);
  const near = (p: string): number => relative(folder, dirname(p)).split(/[\\/]/).filter(Boolean).length;
  const stem = basename(model.fsPath).replace(/\.onnx$/i, '').split(/[-_.]/)[0]?.toLowerCase() ?? '';
  const ranked = found.map((u) => u.fsPath).sort((a, b) => near(a) - near(b) || Number(basename(b).toLowerCase().startsWith(stem)) - Number(basename(a).toLowerCase().startsWith(stem)) || a.localeCompare(b));
  const browse: Item<string> = { label: '$(folder-opened) Browse…', description: 'pick a data file anywhere', value: '' };
  const items: Item<string>[] = [
    ...ranked.map((p, i): Item<string> => ({
      label: basename(p), description: `${vscode.workspace.asRelativePath(p)}${i === 0 ? ' — suggested: nearest the model' : ''}`, value: p,
    })),
    browse,
  ];
  const picked = await pick(`Evaluation data for ${basename(model.fsPath)}`, 'a CSV, TSV, JSONL or Parquet file whose rows the model is run on', items);
  if (picked === undefined || picked === BACK) return picked === BACK ? undefined : picked;
  if (picked[0] !== '') return picked[0];
  const uri = (await vscode.window.showOpenDialog({
    title: `Evaluation data for ${basename(model.fsPath)}`, defaultUri: vscode.Uri.file(folder), canSelectMany: false,
    filters: { 'Data (CSV, TSV, JSONL, Parquet)': ['csv', 'tsv', 'jsonl', 'ndjson', 'parquet'] },
  }))?.[0];
  return uri ? uri.fsPath : BACK;
}

async function askStep(step: Exclude<Step, 'data'>, context: Context, choices: Choices, analysis: TableAnalysis, model: vscode.Uri, specPath: string): Promise<Answer<true>> {
  const s = suggest(context, choices);
  switch (step) {
    case 'label': {
      if (s.tasks[0]?.value === 'language_model') return true;
      const pick = await rankedPick('Label column', 'the true outcome each row is scored against', s.labels.map((l) => ({ value: l.value, reason: l.reason, fits: l.fits })), choices.label);
      if (pick === undefined || pick === BACK) return pick;
      if (pick !== choices.label) { delete choices.task; delete choices.groups; choices.inputs = {}; }
      choices.label = pick;
      return true;
    }
    case 'task': {
      if (s.tasks[0]?.value === 'language_model') return true;
      const pick = await rankedPick('Task', 'how the output is read and scored', s.tasks.map((t) => ({ value: t.value, reason: t.reason, fits: t.fits })), choices.task);
      if (pick === undefined || pick === BACK) return pick;
      if (pick !== 'language_model') choices.task = pick;
      return true;
    }
    case 'groups': {
      const offered = s.groups;
      const label = choices.label ?? s.labels.find((l) => l.fits)?.value;
      // Other columns stay pickable, except token arrays and free text (hundreds of values).
      const others = context.columns.filter((c) => c.name !== label && !offered.some((o) => o.value === c.name) && !s.idColumns.includes(c.name)
        && (c.kind === 'number' || (c.kind === 'string' && c.distinct <= 50)));
      const items: Item<string>[] = [
        ...offered.map((g) => ({ label: g.value, description: g.reason, picked: (choices.groups ?? []).includes(g.value) || (!choices.groups && g.picked), value: g.value })),
        ...others.map((c) => ({ label: c.name, description: `not suggested: ${c.kind}, ${c.distinct} values in the first ${c.rows} rows`, picked: (choices.groups ?? []).includes(c.name), value: c.name })),
      ];
      const required = analysis !== 'attention';
      for (;;) {
        const picked = await pick(`Sensitive (group) columns${required ? '' : ' (optional)'}`, 'groups and their intersections are evaluated', items, { many: true });
        if (picked === undefined || picked === BACK) return picked;
        if (required && picked.length === 0) {
          await vscode.window.showWarningMessage('Pick at least one group column: the analysis compares the groups it defines.', { modal: true });
          continue;
        }
        if (JSON.stringify(picked) !== JSON.stringify(choices.groups)) { choices.inputs = {}; delete choices.slices; }
        choices.groups = picked;
        return true;
      }
    }
    case 'inputs': {
      for (const input of s.inputs) {
        if (!input.choose) continue;
        const { width, candidates } = input.choose;
        const current = choices.inputs[input.input];
        const chosen = current && 'columns' in current ? current.columns : candidates.slice(0, width);
        for (;;) {
          const picked = await pick(
            `${input.described}: choose ${width} of ${candidates.length} numeric columns`, `${input.reason}; kept in file order`,
            candidates.map((c) => ({ label: c, picked: chosen.includes(c), value: c })), { many: true },
          );
          if (picked === undefined || picked === BACK) return picked;
          if (picked.length === width) {
            choices.inputs[input.input] = { columns: candidates.filter((c) => picked.includes(c)) };
            break;
          }
          await vscode.window.showWarningMessage(`${input.described} takes ${width} columns; ${picked.length} were picked.`, { modal: true });
        }
      }
      return true;
    }
    case 'slices': {
      // The spec as chosen so far says which columns are the label, groups and features.
      const so = engine().specFromSuggestions(s, { model: model.fsPath, data: choices.data!, specPath }, { ...hints(choices), inputs: choices.inputs });
      const options = engine().suggestSliceColumns(context.columns, so, s.idColumns);
      const items: Entry<string>[] = [
        ...options.filter((o) => o.fits).map((o) => ({ label: o.value, description: o.reason, picked: choices.slices ? choices.slices.includes(o.value) : o.picked, value: o.value })),
        ...(options.some((o) => !o.fits) ? [{ label: 'cannot be sliced by', kind: vscode.QuickPickItemKind.Separator }] : []),
        ...options.filter((o) => !o.fits).map((o) => ({ label: o.value, description: o.reason, value: o.value })),
      ];
      for (;;) {
        const picked = await pick('Slice columns: the candidate columns slices are searched over', 'picked: every metadata column the model does not read (groups included); the label, row ids and features are listed with why not', items, { many: true });
        if (picked === undefined || picked === BACK) return picked;
        const usable = picked.filter((c) => options.find((o) => o.value === c)?.fits !== false);
        if (usable.length > 0) {
          choices.slices = context.columns.map((c) => c.name).filter((c) => usable.includes(c));
          return true;
        }
        await vscode.window.showWarningMessage('Pick at least one column to slice by.', { modal: true });
      }
    }
  }
}

/** A single pick of ranked options: fitting ones first (the first is the suggestion), then the rest with why not. */
export async function rankedPick<T extends string>(title: string, placeHolder: string, options: readonly { value: T; reason: string; fits: boolean }[], current: T | undefined): Promise<Answer<T>> {
  const fit = options.filter((o) => o.fits);
  const unfit = options.filter((o) => !o.fits);
  const items: Entry<T>[] = [
    ...fit.map((o, i) => ({ label: o.value, description: `${i === 0 ? 'suggested: ' : ''}${o.reason}`, value: o.value })),
    ...(unfit.length ? [{ label: 'does not fit', kind: vscode.QuickPickItemKind.Separator }] : []),
    ...unfit.map((o) => ({ label: o.value, description: o.reason, value: o.value })),
  ];
  const answer = await pick(title, placeHolder, items, { active: current });
  return answer === undefined || answer === BACK ? answer : answer[0];
}

export type Entry<T> = Item<T> | vscode.QuickPickItem;

/**
 * One step of the flow: a quick pick with a Back button (Escape cancels the flow). Resolves
 * with the values accepted (one, or every picked one with `many`), BACK, or undefined.
 */
export function pick<T>(title: string, placeholder: string, items: readonly Entry<T>[], options: { many?: boolean; active?: T } = {}): Promise<Answer<T[]>> {
  const quickPick = vscode.window.createQuickPick<Entry<T>>();
  quickPick.title = title;
  quickPick.placeholder = placeholder;
  quickPick.items = items;
  quickPick.canSelectMany = options.many ?? false;
  quickPick.ignoreFocusOut = true;
  quickPick.buttons = [vscode.QuickInputButtons.Back];
  const values = (list: readonly Entry<T>[]): T[] => list.filter((i): i is Item<T> => 'value' in i).map((i) => i.value);
  if (options.many) quickPick.selectedItems = items.filter((i) => i.picked);
  else {
    const active = items.find((i): i is Item<T> => 'value' in i && i.value === options.active);
    if (active) quickPick.activeItems = [active];
  }
  return new Promise((resolveAnswer) => {
    let done = false;
    const finish = (answer: Answer<T[]>): void => {
      if (done) return;
      done = true;
      resolveAnswer(answer);
      quickPick.dispose();
    };
    quickPick.onDidTriggerButton((button) => { if (button === vscode.QuickInputButtons.Back) finish(BACK); });
    quickPick.onDidAccept(() => {
      const accepted = values(options.many ? quickPick.selectedItems : quickPick.selectedItems.slice(0, 1));
      if (options.many || accepted.length > 0) finish(accepted);
    });
    quickPick.onDidHide(() => finish(undefined));
    quickPick.show();
  });
}
