import * as vscode from 'vscode';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { CompareReport } from '../protocol/compare';
import { runOverrides } from './analysisWorker';
import { runAndShowReport } from './runAnalysis';
import type { RuntimeStatusService } from './runtimeStatus';
import { findSpec, specForModel } from './specFlow';
import { groupLabel } from './groupLabel';
import { log } from './log';

/** How the two selected models are run: which spec, which is A (baseline) and B (candidate). */
export interface ComparePlan {
  readonly specPath: string;
  readonly a: vscode.Uri;
  readonly b: vscode.Uri;
  /** true: the spec's `referenceModel` is A and its `model` B (FORMULAS.md §G "Which is A"). */
  readonly byReference: boolean;
}

/**
 * A `*.bias.json` next to either model whose `model` is one of the two and `referenceModel` the
 * other: that spec says which is the baseline, so the selection order does not matter.
 */
export async function findPairSpec(x: vscode.Uri, y: vscode.Uri): Promise<ComparePlan | undefined> {
  for (const folder of [...new Set([dirname(x.fsPath), dirname(y.fsPath)])]) {
    const names = (await readdir(folder).catch(() => [] as string[])).filter((f) => f.endsWith('.bias.json')).sort();
    for (const name of names) {
      try {
        const json = JSON.parse(await readFile(join(folder, name), 'utf8')) as { model?: unknown; referenceModel?: unknown };
        if (typeof json.model !== 'string' || typeof json.referenceModel !== 'string') continue;
        const model = resolve(folder, json.model);
        const reference = resolve(folder, json.referenceModel);
        const pair = [x, y].find((u) => u.fsPath === model);
        const base = [x, y].find((u) => u.fsPath === reference);
        if (pair && base && pair !== base) return { specPath: join(folder, name), a: base, b: pair, byReference: true };
      } catch {
        // Not a readable spec: the other paths (or the worker) report it.
      }
    }
  }
  return undefined;
}

/**
 * The spec a comparison of the two selected models runs on: a spec pairing them (its
 * referenceModel is A); else the spec of the first selected model (A = it, B = the other); else
 * the spec of the second (A = the second); else the guided flow creates one for the first.
 */
async function planFor(extensionUri: vscode.Uri, first: vscode.Uri, second: vscode.Uri): Promise<ComparePlan | undefined> {
  const pair = await findPairSpec(first, second);
  if (pair) return pair;
  const own = await findSpec(first);
  if (own) return { specPath: own, a: first, b: second, byReference: false };
  const other = await findSpec(second);
  if (other) return { specPath: other, a: second, b: first, byReference: false };
  const created = await specForModel(extensionUri, first, 'groups');
  return created ? { specPath: created, a: first, b: second, byReference: false } : undefined;
}

/**
 * Compare Models (two selected in the Explorer): both run on the same rows of one spec
 * (FORMULAS.md §G); the report opens beside and a significantly worse group is named in a
 * notification. Budgets of the spec are evaluated and shown in the Problems panel.
 */
export async function compareModels(extensionUri: vscode.Uri, runtime: RuntimeStatusService, first: vscode.Uri, second: vscode.Uri): Promise<CompareReport | undefined> {
  const plan = await planFor(extensionUri, first, second);
  if (!plan) return undefined;
  const { specPath, a, b } = plan;
  log().info(`Compare Models: A (baseline) ${a.fsPath}, B (candidate) ${b.fsPath}, spec ${specPath}${plan.byReference ? ' (its referenceModel is A)' : ''}`);
  const report = await runAndShowReport(extensionUri, runtime, b, `Compare Models (A = ${basename(a.fsPath)}, B)`, 'compare', { specPath, modelB: plan.byReference ? null : b.fsPath, overrides: runOverrides() });
  if (!report) return undefined;
  if (report.compare.task === 'regression') {
    void vscode.window.showInformationMessage(`Compare Models: ${basename(b.fsPath)} vs ${basename(a.fsPath)} — regression: flips and McNemar do not apply, so no group is judged worse; see the Δ and their intervals.`);
    return report;
  }
  const worse = report.compare.byGroup.filter((g) => g.verdict === 'worse' && g.group !== 'overall');
  const text = worse.length
    ? `Compare Models: B (${basename(b.fsPath)}) is significantly worse than A (${basename(a.fsPath)}) for ${worse.map((g) => (g.group === 'overall' ? 'overall' : groupLabel(g.group))).join('; ')} (McNemar, BH q < 0.05).`
    : `Compare Models: no group is significantly worse for B (${basename(b.fsPath)}) than for A (${basename(a.fsPath)}) (McNemar, BH q < 0.05).`;
  void (worse.length ? vscode.window.showWarningMessage(text) : vscode.window.showInformationMessage(text));
  return report;
}
