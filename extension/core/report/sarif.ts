/**
 * SARIF 2.1.0 log of failing bias budgets (`bias-inspector check --sarif`), for GitHub code
 * scanning and other SARIF viewers: one result per failing budget, with a stable ruleId per
 * figure, the figure, value, bound and interval in the message, and a physical location at the
 * budget in the spec file. Validated against the official schema in the tests.
 */
import { isAbsolute, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BudgetResult } from '../../protocol/budgets';

export const SARIF_SCHEMA_URI = 'https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json';
const INFORMATION_URI = 'https://github.com/bias-inspector/bias-inspector#budgets';

/** The stable rule id of a figure's budget. */
export function budgetRuleId(figure: string): string {
  return `bias-budget/${figure}`;
}

export interface SarifOptions {
  /** Version of the tool, as `bias-inspector --version` prints it. */
  readonly toolVersion: string;
  /** Folder the spec's path is written relative to (the repository root in CI; default: the working directory). */
  readonly baseDir: string;
}

/** Builds the SARIF log (a plain object; write it with JSON.stringify). */
export function budgetsToSarif(results: readonly BudgetResult[], options: SarifOptions): Record<string, unknown> {
  const figures = [...new Set(results.map((r) => r.figure))];
  const rules = figures.map((figure) => ({
    id: budgetRuleId(figure),
    name: `BiasBudget_${figure.replace(/[^A-Za-z0-9]+/g, '_')}`,
    shortDescription: { text: `Bias budget on ${figure}` },
    fullDescription: { text: `The spec's budget on the report figure ${figure} (FORMULAS.md §G): the value (or, with "use": "interval", its 95% interval bound on the failing side) must stay within the bound.` },
    helpUri: INFORMATION_URI,
    defaultConfiguration: { level: 'error' },
  }));
  const base = options.baseDir.endsWith(sep) ? options.baseDir : `${options.baseDir}${sep}`;
  const sarifResults = results.filter((r) => !r.ok).map((r) => {
    const rel = relative(options.baseDir, r.location.file);
    // a spec outside the base folder is named by its absolute file URI
    const artifactLocation = rel.startsWith('..') || isAbsolute(rel)
      ? { uri: pathToFileURL(r.location.file).href }
      : { uri: rel.split(sep).join('/'), uriBaseId: 'SRCROOT' };
    const bound = 'max' in r.bound ? { max: r.bound.max } : { min: r.bound.min };
    return {
      ruleId: budgetRuleId(r.figure),
      ruleIndex: figures.indexOf(r.figure),
      level: 'error',
      message: { text: r.message },
      locations: [{
        physicalLocation: {
          artifactLocation,
          region: { startLine: r.location.line, startColumn: r.location.column, endLine: r.location.endLine, endColumn: r.location.endColumn },
        },
      }],
      partialFingerprints: { budgetFigure: `${r.figure}#${r.index}` },
      properties: {
        figure: r.figure, value: r.value, ...bound, use: r.use, checked: r.checked,
        ...(r.interval ? { interval: [...r.interval] } : {}),
      },
    };
  });
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'bias-inspector', version: options.toolVersion, informationUri: INFORMATION_URI, rules } },
      originalUriBaseIds: { SRCROOT: { uri: pathToFileURL(base).href } },
      invocations: [{ executionSuccessful: true }],
      results: sarifResults,
    }],
  };
}
