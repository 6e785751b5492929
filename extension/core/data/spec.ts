/**
 * Loading, validating, resolving and writing analysis specs (`*.bias.json`, DESIGN.md §3).
 * Every problem is located: `<file>:<line>:<column>: field "<path>": <cause>`, e.g.
 * `/x/m.bias.json:7:11: field "task": must be one of binary, multiclass, regression (got "binay")`.
 */
import { access, readFile, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { ErrorObject } from 'ajv';
import { BadInputError, fsCause } from '../errors';
import { BUDGET_FIGURE_HELP, budgetFigures } from '../../protocol/budgets';
import { escapePointer, locatePointer, pointerSegments, positionAt, type TextPosition } from './json-locate';
import { NESTED_KEY_ORDER, SPEC_KEY_ORDER } from './spec-schema';
import { specValidator } from './specValidator';
import {
  DEFAULT_MAX_GROUP_VALUES, isNpyMapping, isTextMapping,
  type AnalysisSpec, type InputMapping, type OutputKind, type ResolvedSpec, type Task,
} from './spec-types';

/** One located problem in a spec; validation returns these as values. */
export interface SpecIssue {
  /** JSON pointer of the field ("" for the whole spec). */
  readonly pointer: string;
  /** The field as users write it: `inputs.features.columns[1]`. */
  readonly field: string;
  readonly message: string;
  readonly position?: TextPosition;
}

/** The field path of a JSON pointer: "/inputs/f/columns/1" -> "inputs.f.columns[1]". */
export function fieldName(pointer: string): string {
  return pointerSegments(pointer).reduce((acc, seg) => (/^\d+$/.test(seg) && acc !== '' ? `${acc}[${seg}]` : acc === '' ? seg : `${acc}.${seg}`), '');
}

/** Validates a parsed spec; `text` (the JSON source) adds line:column to each issue. */
export function validateSpec(value: unknown, text?: string): SpecIssue[] {
  const validate = specValidator();
  const issues: SpecIssue[] = [];
  const seen = new Set<string>();
  const add = (pointer: string, message: string, at = pointer): void => {
    const key = `${pointer}\n${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    const position = text === undefined ? undefined : locatePointer(text, at);
    issues.push({ pointer, field: fieldName(pointer), message, ...(position ? { position } : {}) });
  };
  if (!validate(value)) {
    for (const err of validate.errors ?? []) {
      const issue = describeError(err);
      if (issue) add(issue.pointer, issue.message, issue.at);
    }
    return issues;
  }
  for (const issue of crossFieldIssues(value as AnalysisSpec)) add(issue.pointer, issue.message);
  return issues;
}

function describeError(err: ErrorObject): { pointer: string; message: string; at: string } | undefined {
  const here = err.instancePath;
  const params = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'if':
      return undefined; // the failing branch reports the real cause
    case 'required': {
      const missing = String(params['missingProperty']);
      const inMapping = /^\/inputs\/[^/]+$/.test(here);
      if (inMapping && missing === 'columns') {
        const keys = isObject(err.data) ? Object.keys(err.data) : [];
        return {
          pointer: here,
          at: here,
          message: `must be one of {"columns": [...]}, {"column": "..."}, {"text": "...", "tokenizer": "..."}, {"npy": "..."} (got ${keys.length ? `keys ${keys.join(', ')}` : describe(err.data)})`,
        };
      }
      const why = here === '' && (missing === 'model' || missing === 'inputs') ? ' (the model is run unless "predictions" is given)' : '';
      return { pointer: `${here}/${missing}`, at: here, message: `is required${why}` };
    }
    case 'additionalProperties': {
      const extra = String(params['additionalProperty']);
      const allowed = allowedKeys(err.parentSchema);
      const close = closest(extra, allowed);
      const hint = close ? `; did you mean "${close}"?` : allowed.length ? ` (allowed: ${allowed.join(', ')})` : '';
      return { pointer: `${here}/${extra}`, at: `${here}/${extra}`, message: `unknown field${hint}` };
    }
    case 'enum':
      return { pointer: here, at: here, message: `must be one of ${(params['allowedValues'] as unknown[]).join(', ')} (got ${describe(err.data)})` };
    case 'type':
      return { pointer: here, at: here, message: `must be ${typeWords(params['type'])} (got ${describe(err.data)})` };
    case 'uniqueItems':
    {
      const [a, b] = [Number(params['i']), Number(params['j'])].sort((x, y) => x - y);
      return { pointer: here, at: here, message: `must not repeat a value (items ${a! + 1} and ${b! + 1} are equal)` };
    }
    case 'minItems':
      return { pointer: here, at: here, message: `must have at least ${String(params['limit'])} item(s) (got ${Array.isArray(err.data) ? err.data.length : 0})` };
    case 'minLength':
      return { pointer: here, at: here, message: 'must not be empty' };
    default:
      return { pointer: here, at: here, message: `${err.message ?? err.keyword} (got ${describe(err.data)})` };
  }
}

function crossFieldIssues(spec: AnalysisSpec): { pointer: string; message: string }[] {
  const issues: { pointer: string; message: string }[] = [];
  spec.groups?.forEach((g, i) => {
    if (g === spec.label) issues.push({ pointer: `/groups/${i}`, message: `"${g}" is the label column; a group column must be another column` });
  });
  const taskWords = spec.task === undefined ? 'the spec has no task' : `the task is "${spec.task}"`;
  if (spec.positiveLabel !== undefined && spec.task !== 'binary') {
    issues.push({ pointer: '/positiveLabel', message: `only applies to task "binary" (${taskWords})` });
  }
  if (spec.classes !== undefined && spec.task !== 'multiclass') {
    issues.push({ pointer: '/classes', message: `only applies to task "multiclass" (${taskWords})` });
  }
  // Without the feature map v̂ is undefined (FORMULAS.md A.4): every loss would be NaN.
  if (spec.loss === 'bias_loss' && spec.featureTensor === undefined) {
    issues.push({ pointer: '/loss', message: '"bias_loss" needs "featureTensor", the intermediate tensor whose per-sample feature variance weights the cross-entropy' });
  }
  spec.budgets?.forEach((b, i) => {
    const bounds = (b.max !== undefined ? 1 : 0) + (b.min !== undefined ? 1 : 0);
    if (bounds !== 1) issues.push({ pointer: `/budgets/${i}`, message: `give exactly one bound, "max" or "min" (got ${bounds === 0 ? 'none' : 'both'})` });
    if (!knownFigure(b.figure)) {
      // a figure cut short ("compare.worstDelta.acc") means the one figure it starts, if one
      const started = budgetFigures().filter((f) => f.startsWith(b.figure));
      const close = started.length === 1 ? started[0] : closest(b.figure, budgetFigures());
      issues.push({ pointer: `/budgets/${i}/figure`, message: `no figure "${b.figure}"${close ? `; did you mean "${close}"?` : ''} (figures: ${BUDGET_FIGURE_HELP})` });
    }
  });
  return issues;
}

/**
 * The task of a spec for an analysis that scores predictions against labels (groups, quant
 * impact). Analyses that read no labels (attention) do not call this: their specs need no task.
 * Throws BadInputError 'spec.task' naming the analysis when the spec has none.
 */
export function scoringTask(spec: Pick<AnalysisSpec, 'task'> & { readonly specPath: string }, analysis: string): Task {
  if (spec.task === undefined) {
    throw new BadInputError('spec.task', `${spec.specPath || 'the spec'}: field "task": ${analysis} scores predictions and needs the task (binary, multiclass or regression)`, spec.specPath ? { file: spec.specPath } : {});
  }
  return spec.task;
}

/**
 * The spec's output kind for an analysis that scores predictions; a language model's logits
 * [B, T, V] are read by the probes only (FORMULAS.md §H).
 */
export function scoredOutputKind(spec: ResolvedSpec, analysis: string): Exclude<OutputKind, 'language_model'> {
  if (spec.outputKind === 'language_model') {
    throw new BadInputError('spec.outputKind', `${spec.specPath || 'the spec'}: field "outputKind": "language_model" outputs are read by the language-model probes (bias-inspector probe), not by the ${analysis}`, { file: spec.specPath });
  }
  return spec.outputKind;
}

let figures: Set<string> | undefined;
function knownFigure(figure: string): boolean {
  figures ??= new Set(budgetFigures());
  return figures.has(figure);
}

/** Formats issues as lines `<file>:<line>:<col>: field "<f>": <cause>`. */
export function formatSpecIssues(file: string, issues: readonly SpecIssue[]): string {
  return issues
    .map((i) => `${file}${i.position ? `:${i.position.line}:${i.position.column}` : ''}: ${i.field === '' ? 'spec' : `field "${i.field}"`}: ${i.message}`)
    .join('\n');
}

export interface ResolveOptions {
  /** Folder relative paths are resolved against (the spec's folder). */
  readonly baseDir: string;
  /** The spec file, for messages ('' for a spec built from CLI flags). */
  readonly specPath?: string;
  /** JSON source, for line:column in messages. */
  readonly text?: string;
  /** Check that the model, data, tokenizer, npy, reference model and predictions files exist (default true). */
  readonly checkFiles?: boolean;
}

/**
 * Validates a parsed spec, makes its paths absolute, checks those files exist and fills in
 * defaults. Throws BadInputError 'bad-spec' (every issue, one per line) or 'missing-file'.
 */
export async function resolveSpec(value: unknown, options: ResolveOptions): Promise<ResolvedSpec> {
  const specPath = options.specPath ?? '';
  const label = specPath === '' ? 'spec' : specPath;
  const issues = validateSpec(value, options.text);
  if (issues.length > 0) throw new BadInputError('bad-spec', formatSpecIssues(label, issues), specPath === '' ? {} : { file: specPath });
  const spec = value as AnalysisSpec;
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(options.baseDir, p));
  const files: { pointer: string; path: string }[] = [];
  const file = (pointer: string, p: string): string => {
    const full = abs(p);
    files.push({ pointer, path: full });
    return full;
  };

  const inputs: Record<string, InputMapping> = {};
  for (const [name, m] of Object.entries(spec.inputs ?? {})) {
    const ptr = `/inputs/${escapePointer(name)}`;
    if (isTextMapping(m)) inputs[name] = { ...m, tokenizer: file(`${ptr}/tokenizer`, m.tokenizer) };
    else if (isNpyMapping(m)) inputs[name] = { npy: file(`${ptr}/npy`, m.npy) };
    else inputs[name] = m;
  }
  const probe = spec.probe === undefined ? undefined
    : spec.probe.kind === 'counterfactual'
      ? { ...spec.probe, templates: file('/probe/templates', spec.probe.templates), ...(spec.probe.tokenizer === undefined ? {} : { tokenizer: file('/probe/tokenizer', spec.probe.tokenizer) }) }
      : { ...spec.probe, ...(spec.probe.tokenizer === undefined ? {} : { tokenizer: file('/probe/tokenizer', spec.probe.tokenizer) }) };
  // The schema requires data except for a counterfactual probe, whose templates file is its data.
  const data = spec.data !== undefined ? file('/data', spec.data) : probe?.kind === 'counterfactual' ? probe.templates : '';
  const resolved: ResolvedSpec = {
    ...spec,
    specPath,
    ...(spec.model !== undefined ? { model: file('/model', spec.model) } : {}),
    data,
    // A probe's labels can only be binary (FORMULAS.md §H); other specs keep no task unless they
    // name one (attention reads no labels; scoring analyses ask through scoringTask).
    ...(spec.task !== undefined ? { task: spec.task } : spec.probe ? { task: 'binary' as const } : {}),
    inputs,
    ...(probe ? { probe } : {}),
    outputKind: spec.outputKind ?? (spec.probe ? 'language_model' : spec.task === 'regression' ? 'regression' : 'logits'),
    groups: spec.groups ?? [],
    loss: spec.loss ?? (spec.task === 'regression' ? 'mse' : 'cross_entropy'),
    referenceModel: spec.referenceModel == null ? null : file('/referenceModel', spec.referenceModel),
    ...(spec.predictions ? { predictions: { ...spec.predictions, file: file('/predictions/file', spec.predictions.file) } } : {}),
    maxGroupValues: spec.maxGroupValues ?? DEFAULT_MAX_GROUP_VALUES,
  };
  if (options.checkFiles ?? true) {
    for (const f of files) {
      if (!(await exists(f.path))) {
        const position = options.text === undefined ? undefined : locatePointer(options.text, f.pointer);
        const where = `${label}${position ? `:${position.line}:${position.column}` : ''}`;
        throw new BadInputError('missing-file', `${where}: field "${fieldName(f.pointer)}": file not found: ${f.path}`, { file: f.path });
      }
    }
  }
  return resolved;
}

/** Reads, validates and resolves a `*.bias.json` file (paths relative to its folder). */
export async function loadSpec(path: string, options: { checkFiles?: boolean } = {}): Promise<ResolvedSpec> {
  const specPath = resolve(path);
  let text: string;
  try {
    text = await readFile(specPath, 'utf8');
  } catch (err) {
    throw new BadInputError('file-not-found', `${specPath}: spec file ${fsCause(err)}`, { file: specPath, cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const cause = err instanceof Error ? err.message : String(err);
    const offset = /position (\d+)/.exec(cause)?.[1];
    const at = offset === undefined ? '' : (({ line, column }) => `:${line}:${column}`)(positionAt(text, Number(offset)));
    throw new BadInputError('bad-spec-json', `${specPath}${at}: not valid JSON (${cause})`, { file: specPath, cause: err });
  }
  return resolveSpec(value, { baseDir: dirname(specPath), specPath, text, ...(options.checkFiles === undefined ? {} : { checkFiles: options.checkFiles }) });
}

/** Writes a spec as 2-space JSON in a stable key order (after validating it); paths as given. */
export async function writeSpec(path: string, spec: AnalysisSpec): Promise<void> {
  await writeFile(path, specToJson(spec), 'utf8');
}

/** The exact text `writeSpec` writes. Throws BadInputError 'bad-spec' for an invalid spec. */
export function specToJson(spec: AnalysisSpec): string {
  const issues = validateSpec(spec);
  if (issues.length > 0) throw new BadInputError('bad-spec', formatSpecIssues('spec', issues));
  return `${JSON.stringify(ordered(spec, SPEC_KEY_ORDER), null, 2)}\n`;
}

/** Copies an object with known keys first (in `order`), then the rest in their own order. */
function ordered(value: object, order: readonly string[]): Record<string, unknown> {
  const src = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const keys = [...order.filter((k) => Object.hasOwn(src, k)), ...Object.keys(src).filter((k) => !order.includes(k))];
  for (const k of keys) {
    const v = src[k];
    if (v === undefined) continue;
    if (k === 'inputs' && isObject(v)) {
      out[k] = Object.fromEntries(Object.entries(v).map(([n, m]) => [n, isObject(m) ? ordered(m, NESTED_KEY_ORDER) : m]));
    } else if (isObject(v) && !Array.isArray(v)) {
      out[k] = ordered(v, NESTED_KEY_ORDER);
    } else {
      out[k] = v;
    }
  }
  return out;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v);
  return `${typeof v} ${String(v)}`;
}

function typeWords(t: unknown): string {
  const list = Array.isArray(t) ? t.map(String) : String(t).split(',');
  const word = (x: string): string => (x === 'object' ? 'an object' : x === 'array' ? 'an array' : x === 'integer' ? 'an integer' : x === 'null' ? 'null' : `a ${x}`);
  return list.map(word).join(' or ');
}

function allowedKeys(schema: unknown): string[] {
  if (!isObject(schema)) return [];
  const props = schema['properties'];
  return isObject(props) ? Object.keys(props).filter((k) => k !== '$schema') : [];
}

/** The allowed key closest to a misspelt one (edit distance <= 2), if any. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = row;
  }
  return prev[b.length]!;
}
