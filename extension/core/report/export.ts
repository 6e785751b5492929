/**
 * Report exports besides JSON: CSV of the per-group table, and a self-contained HTML file that
 * embeds the report and the same renderer the VS Code webview uses (no network, no files beside).
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reportToJson } from './report';
import type { SlicesSection } from '../../protocol/slices';
import type { GroupsSection } from '../../protocol/groups';

/** A plain decimal number written as text (group values such as "-1" are data, not formulas). */
const NUMBER_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * One CSV cell. Text from the data (group values, column names) that a spreadsheet would read as
 * a formula — starting with =, +, -, @, tab or CR — gets a leading ' (OWASP CSV injection);
 * numbers, and text that is a plain number, are written unchanged.
 */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  let text = String(value);
  if (typeof value !== 'number' && /^[=+\-@\t\r]/.test(text) && !NUMBER_TEXT.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** CSV of the per-group table: group columns, count, small, every scalar metric, and CI bounds. */
export function groupsCsv(report: { readonly groups: Pick<GroupsSection, 'sensitive' | 'byGroup'> }): string {
  const { sensitive, byGroup } = report.groups;
  const value = (e: object, key: string): unknown => (e as Readonly<Record<string, unknown>>)[key];
  const metrics = [...new Set(byGroup.flatMap((e) => Object.keys(e).filter((k) => typeof value(e, k) === 'number' && k !== 'count')))];
  const ciMetrics = [...new Set(byGroup.flatMap((e) => Object.keys(e.ci ?? {})))];
  const header = [...sensitive, 'count', 'small', ...metrics, ...ciMetrics.flatMap((m) => [`${m}_ci_lo`, `${m}_ci_hi`])];
  const rows = byGroup.map((e) => [
    ...sensitive.map((s) => e.group[s] ?? ''), e.count, e.small ? 'true' : 'false',
    ...metrics.map((m) => value(e, m)), ...ciMetrics.flatMap((m) => [e.ci?.[m]?.[0], e.ci?.[m]?.[1]]),
  ]);
  return `${[header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n')}\n`;
}

/** Where the renderer bundle and stylesheet live, relative to a built bundle in dist/. */
export interface HtmlAssets {
  readonly script: string;
  readonly css: string;
}

/** Default assets next to dist/cli.js or dist/extension.js. */
export function defaultHtmlAssets(distDir: string = __dirname): HtmlAssets {
  return { script: join(distDir, 'webview', 'report.js'), css: join(distDir, '..', 'media', 'webview.css') };
}

/** Light-theme stand-ins for the --vscode-* variables, so the charts read the same outside VS Code. */
const STANDALONE_THEME = `:root{--vscode-foreground:#1f1f1f;--vscode-editor-background:#ffffff;--vscode-descriptionForeground:#616161;--vscode-font-family:system-ui,-apple-system,"Segoe UI",sans-serif;--vscode-font-size:13px;--vscode-editor-font-family:ui-monospace,Menlo,Consolas,monospace;--vscode-charts-blue:#1a85ff;--vscode-charts-red:#d4351c;--vscode-charts-orange:#d18616;--vscode-charts-green:#388a34;--vscode-charts-purple:#652d90;--vscode-charts-yellow:#bf8803;--vscode-panel-border:#e5e5e5;--vscode-widget-border:#e5e5e5;--vscode-focusBorder:#0090f1;--vscode-errorForeground:#a1260d;--vscode-badge-background:#616161;--vscode-badge-foreground:#ffffff;--vscode-button-background:#005fb8;--vscode-button-foreground:#ffffff;--vscode-dropdown-background:#ffffff;--vscode-dropdown-border:#cecece;--vscode-dropdown-foreground:#1f1f1f;--vscode-editorWidget-background:#f8f8f8;--vscode-settings-dropdownBackground:#ffffff;--vscode-settings-dropdownForeground:#1f1f1f;--vscode-settings-dropdownBorder:#cecece;--vscode-settings-dropdownListBorder:#cecece;--vscode-button-secondaryBackground:#e5e5e5;--vscode-button-secondaryForeground:#1f1f1f;--vscode-button-secondaryHoverBackground:#cccccc;--vscode-button-hoverBackground:#0258a8;--vscode-checkbox-background:#ffffff;--vscode-checkbox-foreground:#1f1f1f;--vscode-checkbox-border:#cecece;--vscode-editorWarning-foreground:#bf8803;--vscode-list-activeSelectionBackground:#e8e8e8;--vscode-list-activeSelectionForeground:#1f1f1f;--vscode-list-hoverBackground:#f2f2f2;--vscode-input-background:#ffffff;--vscode-input-foreground:#1f1f1f;--vscode-input-border:#cecece;--vscode-panelTitle-activeForeground:#1f1f1f;--vscode-panelTitle-inactiveForeground:#616161;--vscode-panelTitle-activeBorder:#005fb8;--vscode-textLink-foreground:#005fb8;--vscode-keybindingTable-rowsBackground:#f8f8f8;--vscode-editor-inactiveSelectionBackground:#e5ebf1}`;

/** Escapes JSON for a <script type="application/json"> block. */
function scriptSafe(text: string): string {
  return text.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** The CSP source that allows exactly this inline script: 'sha256-<base64 of its UTF-8 bytes>'. */
export function scriptHash(script: string): string {
  return `sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}`;
}

/** A standalone HTML document showing the report with the webview's renderer. */
export function htmlReport(report: unknown, assets: HtmlAssets = defaultHtmlAssets()): string {
  const script = readFileSync(assets.script, 'utf8').replace(/<\/script/gi, '<\\/script');
  const css = readFileSync(assets.css, 'utf8');
  const title = 'Model Bias Inspector report';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data: blob:; style-src 'unsafe-inline'; script-src '${scriptHash(script)}'">
<title>${title}</title>
<style>${STANDALONE_THEME}\n${css}</style>
</head>
<body class="standalone">
<main id="app"><p>Loading…</p></main>
<script type="application/json" id="report-data">${scriptSafe(reportToJson(report))}</script>
<script>${script}</script>
</body>
</html>
`;
}

export function writeHtmlReport(path: string, report: unknown, assets?: HtmlAssets): void {
  writeFileSync(path, htmlReport(report, assets));
}

/** CSV of the reported slices, one row each. */
export function slicesCsv(report: { readonly slices: SlicesSection }): string {
  const header = ['rank', 'slice', 'level', 'size', 'error_sum', 'error_mean', 'score', 'test_size', 'test_error_mean', 'test_ci_lo', 'test_ci_hi', 'test_diff', 'p', 'q', 'selected_on_same_data', 'small'];
  const rows = report.slices.top.map((t, i) => [i + 1, t.text, t.predicates.length, t.size, t.errorSum, t.errorMean, t.score, t.test.size, t.test.errorMean, t.test.ci[0], t.test.ci[1], t.test.diff, t.test.p, t.test.q, t.test.selectedOnSameData, t.small === true]);
  return `${[header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n')}\n`;
}
