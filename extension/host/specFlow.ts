import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { inspectModel } from '../core/onnx';
import { openTable, profileColumns, suggestSpec, writeSpec, TASKS, type AnalysisSpec, type Task } from '../core/analyze';
import { log } from './log';

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
 * The spec file to run with: the found one, or the guided flow's (saved next to the model). Only
 * its path: the analysis worker loads it (and reports a bad spec naming the file and field).
 */
export async function specForModel(model: vscode.Uri): Promise<string | undefined> {
  const found = await findSpec(model);
  if (found) {
    log().info(`using spec ${found}`);
    return found;
  }
  const choice = await vscode.window.showInformationMessage(
    `No analysis spec for ${basename(model.fsPath)} yet. Pick the evaluation data, label and group columns, and a spec is saved as ${basename(defaultSpecPath(model))}.`,
    { modal: false }, 'Create Spec…',
  );
  if (choice !== 'Create Spec…') return undefined;
  return createSpecGuided(model);
}

type Pick<T> = vscode.QuickPickItem & { value: T };

/** The guided pick: data file, label, group columns, task; input mapping suggested from the model. */
export async function createSpecGuided(model: vscode.Uri): Promise<string | undefined> {
  const specPath = defaultSpecPath(model);
  if (existsSync(specPath)) {
    // The user's spec may hold hand-written fields (spans, tokenizer, loss): never replace it silently.
    const choice = await vscode.window.showWarningMessage(
      `${basename(specPath)} already exists next to ${basename(model.fsPath)}. Replace it with a new spec from the guided pick?`,
      { modal: true }, 'Replace', 'Open Existing',
    );
    if (choice === 'Open Existing') await vscode.window.showTextDocument(vscode.Uri.file(specPath));
    if (choice !== 'Replace') return undefined;
  }
  const folder = vscode.Uri.file(dirname(model.fsPath));
  const data = (await vscode.window.showOpenDialog({
    title: `Evaluation data for ${basename(model.fsPath)}`, defaultUri: folder, canSelectMany: false,
    filters: { 'Data (CSV, TSV, JSONL, Parquet)': ['csv', 'tsv', 'jsonl', 'ndjson', 'parquet'] },
  }))?.[0];
  if (!data) return undefined;
  const summary = await inspectModel(model.fsPath);
  const table = await openTable(data.fsPath, { batchRows: 512 });
  let profiles;
  try {
    const first = await table.batches()[Symbol.asyncIterator]().next();
    if (first.done) throw new Error(`${data.fsPath}: the data file has no rows`);
    profiles = profileColumns(first.value, table.columns);
  } finally {
    await table.close();
  }
  const files = await readdir(dirname(data.fsPath));
  const suggestion = suggestSpec(summary.inputs, profiles, { dataPath: data.fsPath, files });
  const describe = (name: string): string => {
    const p = profiles.find((c) => c.name === name);
    return p ? `${p.kind}, ${p.distinct} distinct values in the first rows` : '';
  };
  const label = await vscode.window.showQuickPick<Pick<string>>(
    table.columns.map((c) => ({ label: c, description: `${c === suggestion.label ? '(suggested) ' : ''}${describe(c)}`, value: c }))
      .sort((a, b) => Number(b.value === suggestion.label) - Number(a.value === suggestion.label)),
    { title: 'Label column', placeHolder: 'the true outcome each row is scored against' },
  );
  if (!label) return undefined;
  const groups = await vscode.window.showQuickPick<Pick<string>>(
    table.columns.filter((c) => c !== label.value).map((c) => ({ label: c, description: describe(c), picked: suggestion.groups.includes(c), value: c })),
    { title: 'Sensitive (group) columns', placeHolder: 'groups and their intersections are evaluated', canPickMany: true },
  );
  if (!groups || groups.length === 0) return undefined;
  const outputs = summary.outputs;
  const lastDim = outputs[0]?.shape?.at(-1);
  const labelProfile = profiles.find((p) => p.name === label.value);
  const suggestedTask: Task = typeof lastDim === 'number' && lastDim > 2 ? 'multiclass' : labelProfile && labelProfile.kind === 'number' && labelProfile.distinct > 10 ? 'regression' : 'binary';
  const task = await vscode.window.showQuickPick<Pick<Task>>(
    TASKS.map((t) => ({ label: t, description: t === suggestedTask ? 'suggested from the model output and the label' : '', value: t }))
      .sort((a, b) => Number(b.value === suggestedTask) - Number(a.value === suggestedTask)),
    { title: 'Task' },
  );
  if (!task) return undefined;
  const rel = (p: string): string => relative(dirname(specPath), p) || basename(p);
  const spec: AnalysisSpec = {
    model: rel(model.fsPath),
    data: rel(data.fsPath),
    inputs: suggestion.inputs,
    output: outputs[0]?.name ?? 'output',
    outputKind: task.value === 'regression' ? 'regression' : 'logits',
    task: task.value,
    label: label.value,
    groups: groups.map((g) => g.value),
    loss: task.value === 'regression' ? 'mse' : 'cross_entropy',
  };
  await writeSpec(specPath, spec);
  log().info(`wrote ${specPath}${suggestion.notes.length ? `; notes: ${suggestion.notes.join('; ')}` : ''}`);
  if (suggestion.notes.length > 0) {
    void vscode.window.showWarningMessage(`Spec saved with open questions: ${suggestion.notes.join('; ')}`, 'Open Spec').then((c) => {
      if (c) void vscode.window.showTextDocument(vscode.Uri.file(specPath));
    });
  }
  return specPath;
}
