/**
 * Suggestions for a language-model probe spec (issues #16 and #13): the guided flow in VS Code
 * and `bias-inspector init --analysis probe` share them. A counterfactual probe (FORMULAS.md §H)
 * needs the model's tokenizer, prompt templates with a group slot, the yes/no answers and, per
 * group, the terms that fill the slot. Each suggestion carries its reason ("vocabulary of 366
 * tokens, matches the model's [batch, sequence, 366] logits"); what cannot be suggested (the
 * group terms) is named as missing. Answers and templates are checked with the probe's own
 * validation (probe.ts), so a spec the flow writes fails nothing the run would reject there.
 */
import { writeFile } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, relative, resolve } from 'node:path';
import { languageModelOutput, loadTokenizer, openTable, TABLE_EXTENSIONS, type AnalysisSpec, type ModelFacts, type Ranked, type TokenEncoder } from '../data';
import { answerTokens } from './probe';
import { filesNextTo, PROFILE_ROWS } from './suggest';

/** Where the templates come from: a column of a table whose every row has the slot. */
export interface TemplateSource {
  readonly file: string;
  readonly column: string;
  readonly slot: string;
  /** Templates in the rows read (at most PROFILE_ROWS). */
  readonly count: number;
  readonly example: string;
}

export interface AnswerPair { readonly yes: readonly string[]; readonly no: readonly string[] }

/** Choices made (flags, steps of the flow): they win over suggestions. Paths absolute. */
export interface ProbeChoices {
  readonly tokenizer?: string;
  readonly templates?: TemplateSource;
  readonly answers?: AnswerPair;
  readonly terms?: Readonly<Record<string, readonly string[]>>;
}

export interface ProbeSuggestions {
  /** The language-model output and why it is one; undefined when the model is not a language model. */
  readonly output?: { readonly name: string; readonly vocab?: number; readonly reason: string };
  /** tokenizer.json candidates next to the model, best first; unfit ones last with the reason. */
  readonly tokenizers: readonly Ranked<string>[];
  readonly templates: readonly Ranked<TemplateSource>[];
  readonly answers: readonly Ranked<AnswerPair>[];
  /** What must still be given before a spec can be written (e.g. "terms"), with why. */
  readonly missing: readonly { readonly part: 'model' | 'tokenizer' | 'templates' | 'terms'; readonly reason: string }[];
}

/** The default slot of a counterfactual probe (probe.ts reads "{group}" when none is named). */
export const DEFAULT_SLOT = '{group}';
const PLACEHOLDER = /\{[^{}\s]+\}/g;
const ANSWER_PAIRS: readonly AnswerPair[] = [
  { yes: [' yes'], no: [' no'] },
  { yes: [' Yes'], no: [' No'] },
  { yes: ['yes'], no: ['no'] },
  { yes: [' true'], no: [' false'] },
];

/** Why an answer (or a term) is of no use with this tokenizer: nothing, or only the unknown token. */
export function answerProblem(tokenizer: TokenEncoder, tokenizerPath: string, text: string): string | undefined {
  const checked = answerTokens(tokenizer, tokenizerPath, text);
  if ('problem' in checked) return checked.problem;
  if (tokenizer.unkId !== undefined && checked.ids.every((id) => id === tokenizer.unkId)) return `${JSON.stringify(text)} is only the unknown token with ${basename(tokenizerPath)}`;
  return undefined;
}

/** "a=w1, w2; b=w3" (or one "a=w1,w2" per flag) -> terms per group; or the problem. */
export function parseTerms(parts: readonly string[]): { terms: Record<string, string[]> } | { problem: string } {
  const terms: Record<string, string[]> = {};
  for (const part of parts.flatMap((p) => p.split(';')).map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const group = eq < 0 ? '' : part.slice(0, eq).trim();
    if (!group) return { problem: `"${part}": write GROUP=term, term (e.g. F=woman, mother)` };
    const words = part.slice(eq + 1).split(',').map((w) => w.trim()).filter(Boolean);
    if (words.length === 0) return { problem: `group "${group}" has no terms` };
    if (terms[group]) return { problem: `group "${group}" is given twice` };
    terms[group] = words;
  }
  if (Object.keys(terms).length < 2) return { problem: 'give at least two groups: the probe compares the groups\' scores on the same templates' };
  return { terms };
}

/** Why the terms cannot fill a slot (two groups at least, every term a token or more). */
export function termsProblem(terms: Readonly<Record<string, readonly string[]>>, tokenizer?: { readonly encoder: TokenEncoder; readonly path: string }): string | undefined {
  const groups = Object.keys(terms);
  if (groups.length < 2) return 'give at least two groups: the probe compares the groups\' scores on the same templates';
  for (const g of groups) {
    const words = terms[g] ?? [];
    if (words.length === 0) return `group "${g}" has no terms`;
    for (const w of words) {
      const problem = tokenizer ? answerProblem(tokenizer.encoder, tokenizer.path, ` ${w}`) : w === '' ? 'an empty term' : undefined;
      if (problem) return `group "${g}", term "${w}": ${problem}`;
    }
  }
  return undefined;
}

/** The slot placeholders every one of `texts` holds ("{group}" first when it is one). */
export function commonSlots(texts: readonly string[]): string[] {
  if (texts.length === 0) return [];
  let common: string[] | undefined;
  for (const t of texts) {
    const found = [...new Set(t.match(PLACEHOLDER) ?? [])];
    common = common === undefined ? found : common.filter((s) => found.includes(s));
  }
  return (common ?? []).sort((a, b) => Number(b === DEFAULT_SLOT) - Number(a === DEFAULT_SLOT));
}

/** Template columns of a table: text columns whose every non-empty cell of the first rows has a shared slot. */
export async function templateSources(file: string, slot?: string): Promise<TemplateSource[]> {
  let table;
  try {
    table = await openTable(file, { batchRows: PROFILE_ROWS });
  } catch {
    return [];
  }
  try {
    let first;
    for await (const batch of table.batches()) { first = batch; break; }
    if (!first) return [];
    const out: TemplateSource[] = [];
    for (const column of table.columns) {
      const cells = first.column(column).filter((c) => c !== null && c !== undefined && c !== '');
      if (cells.length === 0 || !cells.every((c) => typeof c === 'string')) continue;
      const slots = commonSlots(cells as string[]);
      const chosen = slot !== undefined ? (slots.includes(slot) ? slot : undefined) : slots[0];
      if (chosen !== undefined) out.push({ file, column, slot: chosen, count: cells.length, example: cells[0] as string });
    }
    return out;
  } catch {
    return [];
  } finally {
    await table.close();
  }
}

async function loadMaybe(path: string): Promise<TokenEncoder | string> {
  try {
    return await loadTokenizer(path);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Ranked suggestions for a counterfactual probe of `model` (its summary at `modelPath`). `files`
 * are candidate template tables (default: the tables next to the model); `choices` win.
 */
export async function suggestProbe(model: ModelFacts, modelPath: string, choices: ProbeChoices = {}, files?: readonly string[]): Promise<ProbeSuggestions> {
  const output = languageModelOutput(model);
  const missing: { part: 'model' | 'tokenizer' | 'templates' | 'terms'; reason: string }[] = [];
  if (!output) missing.push({ part: 'model', reason: `${basename(modelPath)} is not a language model: its first float output is not [batch, sequence, vocabulary] logits` });
  const next = await filesNextTo(modelPath);
  const stem = basename(modelPath).replace(/\.onnx$/i, '');

  // Tokenizers: tokenizer*.json next to the model (and the chosen one), loaded to compare vocabularies.
  const candidates = [...new Set([
    ...(choices.tokenizer ? [resolve(choices.tokenizer)] : []),
    ...next.filter((f) => /tokenizer[^/\\]*\.json$/i.test(basename(f)) && !/tokenizer_config/i.test(basename(f))),
  ])];
  const tokenizers: (Ranked<string> & { score: number })[] = [];
  const loaded = new Map<string, TokenEncoder>();
  for (const path of candidates) {
    const name = basename(path);
    const t = await loadMaybe(path);
    const chosen = path === (choices.tokenizer && resolve(choices.tokenizer));
    const named = name === `${stem}.tokenizer.json` || name === `${stem}-tokenizer.json` || name === `${stem}_tokenizer.json` ? 'named like the model' : name === 'tokenizer.json' ? 'tokenizer.json next to the model (the probe\'s default)' : '';
    if (typeof t === 'string') {
      tokenizers.push({ value: path, reason: `cannot be read: ${t}`, fits: false, score: -1 });
      continue;
    }
    loaded.set(path, t);
    const vocab = output?.vocab;
    const fits = vocab === undefined || t.vocabSize <= vocab;
    const size = vocab === undefined ? `vocabulary of ${t.vocabSize} tokens` : t.vocabSize === vocab ? `vocabulary of ${t.vocabSize} tokens, matches the model's ${vocab} logits` : fits ? `vocabulary of ${t.vocabSize} tokens, within the model's ${vocab} logits` : `vocabulary of ${t.vocabSize} tokens, but the model scores ${vocab}`;
    const reason = [chosen ? 'chosen' : '', named, size].filter(Boolean).join(', ');
    tokenizers.push({ value: path, reason, fits, score: (fits ? 10 : 0) + (chosen ? 5 : 0) + (named.startsWith('named') ? 2 : named ? 1 : 0) + (vocab !== undefined && t.vocabSize === vocab ? 1 : 0) });
  }
  tokenizers.sort((a, b) => b.score - a.score);
  const tokenizerPath = choices.tokenizer ? resolve(choices.tokenizer) : tokenizers.find((t) => t.fits)?.value;
  const tokenizer = tokenizerPath ? loaded.get(tokenizerPath) : undefined;
  if (!tokenizerPath) missing.push({ part: 'tokenizer', reason: candidates.length === 0 ? `no tokenizer.json next to ${basename(modelPath)}: name the model's tokenizer` : `no tokenizer next to the model fits: ${tokenizers.map((t) => `${basename(t.value)} (${t.reason})`).join('; ')}` });

  // Templates: table columns whose rows all hold a slot.
  const tables = files ?? next.filter((f) => (TABLE_EXTENSIONS as readonly string[]).includes(extname(f).toLowerCase()));
  const sources: (Ranked<TemplateSource> & { score: number })[] = [];
  if (choices.templates) sources.push({ value: choices.templates, reason: `chosen; ${describeSource(choices.templates)}`, fits: true, score: 100 });
  for (const file of tables) {
    for (const source of await templateSources(file)) {
      if (choices.templates && source.file === choices.templates.file && source.column === choices.templates.column) continue;
      const nameBonus = source.column === 'template' ? 2 : /template|prompt/i.test(source.column) ? 1 : 0;
      const near = dirname(resolve(file)) === dirname(resolve(modelPath)) ? 1 : 0;
      sources.push({ value: source, reason: `${describeSource(source)}${source.column === 'template' ? ' (the probe\'s default column)' : ''}`, fits: true, score: 10 + nameBonus + near });
    }
  }
  sources.sort((a, b) => b.score - a.score);
  const templates = choices.templates ?? sources[0]?.value;
  if (!templates) missing.push({ part: 'templates', reason: 'no table with prompt templates (a column whose every row holds a slot such as {group}): write a template' });

  // Answers: the usual yes/no pairs, checked with the tokenizer.
  const asks = templates !== undefined && /yes or no|yes\/no/i.test(templates.example);
  const answers: (Ranked<AnswerPair> & { score: number })[] = [];
  const pairs = choices.answers ? [choices.answers, ...ANSWER_PAIRS.filter((p) => JSON.stringify(p) !== JSON.stringify(choices.answers))] : ANSWER_PAIRS;
  pairs.forEach((pair, i) => {
    const chosen = pair === choices.answers;
    if (!tokenizer || !tokenizerPath) {
      answers.push({ value: pair, reason: `${chosen ? 'chosen; ' : ''}not checked: no tokenizer yet`, fits: true, score: -i });
      return;
    }
    const problems = [...pair.yes, ...pair.no].map((a) => answerProblem(tokenizer, tokenizerPath, a)).filter((p): p is string => p !== undefined);
    const counts = [...pair.yes, ...pair.no].map((a) => `${JSON.stringify(a)} ${tokenizer.ids(a, false).length} token${tokenizer.ids(a, false).length === 1 ? '' : 's'}`);
    const reason = problems.length > 0 ? problems.join('; ')
      : [chosen ? 'chosen' : '', asks ? 'the templates ask for yes or no' : '', `${counts.join(', ')} with ${basename(tokenizerPath)}`, pair.yes[0]!.startsWith(' ') ? 'a leading space, as the word follows the prompt' : ''].filter(Boolean).join('; ');
    answers.push({ value: pair, reason, fits: problems.length === 0, score: (problems.length === 0 ? 10 : 0) + (chosen ? 5 : 0) - i });
  });
  answers.sort((a, b) => b.score - a.score);

  if (!choices.terms) missing.push({ part: 'terms', reason: `the words that fill ${templates?.slot ?? DEFAULT_SLOT} for each group (at least two groups), e.g. F=woman, mother; M=man, father` });
  const strip = <T>(list: readonly (Ranked<T> & { score: number })[]): Ranked<T>[] => list.map(({ value, reason, fits }) => ({ value, reason, fits }));
  return { ...(output ? { output } : {}), tokenizers: strip(tokenizers), templates: strip(sources), answers: strip(answers), missing };
}

function describeSource(s: TemplateSource): string {
  return `${s.count} template${s.count === 1 ? '' : 's'} in column "${s.column}" of ${basename(s.file)}, each with the slot ${s.slot}${s.count >= PROFILE_ROWS ? ` (first ${PROFILE_ROWS} rows read)` : ''}`;
}

/** Writes typed templates as a JSONL table (`template` column) the probe reads. */
export async function writeTemplates(path: string, templates: readonly string[]): Promise<TemplateSource> {
  await writeFile(path, templates.map((t) => `${JSON.stringify({ template: t })}\n`).join(''), 'utf8');
  const slot = commonSlots(templates)[0] ?? DEFAULT_SLOT;
  return { file: path, column: 'template', slot, count: templates.length, example: templates[0] ?? '' };
}

/**
 * The counterfactual probe spec of the choices, paths relative to the folder of the spec file it
 * will be written to. Needs every part (tokenizer, templates, answers, terms).
 */
export function probeSpecFrom(
  parts: { readonly tokenizer: string; readonly templates: TemplateSource; readonly answers: AnswerPair; readonly terms: Readonly<Record<string, readonly string[]>> },
  paths: { readonly model: string; readonly specPath: string },
): AnalysisSpec {
  const folder = dirname(resolve(paths.specPath));
  const rel = (p: string): string => (isAbsolute(p) ? relative(folder, p) || '.' : p);
  return {
    model: rel(resolve(paths.model)),
    outputKind: 'language_model',
    probe: {
      kind: 'counterfactual',
      templates: rel(resolve(parts.templates.file)),
      ...(parts.templates.column !== 'template' ? { column: parts.templates.column } : {}),
      slot: parts.templates.slot,
      terms: Object.fromEntries(Object.entries(parts.terms).map(([g, w]) => [g, [...w]])),
      answers: { yes: [...parts.answers.yes], no: [...parts.answers.no] },
      tokenizer: rel(resolve(parts.tokenizer)),
    },
  };
}
