/**
 * Language-model probes (FORMULAS.md §H, issue 13): a decoder language model's logits [B, T, V]
 * score answers after prompts. A yes/no probe fills its prompt with each data row's columns and
 * scores s = logP(yes set) − logP(no set) per row, then per group the selection rate (s > 0),
 * the mean s with a bootstrap interval, and with labels every §B metric of the prediction s > 0
 * (P(yes) = sigmoid(s)). A counterfactual probe fills each template's group slot with each
 * group's terms and compares the groups' scores template by template.
 *
 * Prompts are tokenised with the model's tokenizer.json; each answer on its own (special tokens
 * left out, leading space kept) and appended to the prompt's tokens; a multi-token answer's
 * log-probability is the teacher-forced sum. Batches pad on the right with `past_key_values.*`
 * fed with a past length of 0; each score is read at positions before the padding, so padding
 * changes no score. The CLI and the VS Code host both call `runProbe`.
 */
import { access, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BadInputError, InspectorError, throttleProgress, throwIfAborted, type ProgressFn } from '../errors';
import { createInputEncoder, loadTokenizer, openTable, type EncodedBatch, type EncoderSummary, type ResolvedSpec, type TokenEncoder } from '../data';
import type { RowBatch } from '../data/table';
import type { CounterfactualProbeSpec, ProbeSpec, YesNoProbeSpec } from '../data';
import { evaluateBatch } from '../metrics/batch';
import { GroupMetricsBuilder, type GroupsSection } from '../metrics/groups';
import { counterfactualStats, groupScoreStats, type BootstrapOptions } from '../metrics/probe';
import { languageModelFeeds, type LanguageModelFeeds } from '../onnx/language-model';
import { reportModel } from '../report';
import { loadOrt, sessionThreads } from '../runtime';
import { replicatesFor, resolveRunOptions, RUN_DEFAULTS, type RunOptions, type RunOverrides } from './options';
import { REPORT_SCHEMA } from '../../protocol/report';
import type { ProbeGroupEntry, ProbePair, ProbeReport, ProbeScoreKind, ProbeSection, ProbeTemplateRow } from '../../protocol/probe';
import type { GroupKey } from '../../protocol/groups';
import type { ModelSummary } from '../../protocol/model';
import type { ReportModel } from '../../protocol/report';
import type { RuntimeInfo } from '../../protocol/runtime';
import { batchPositions, firstRows } from './groups';
import { prepareModel, type PreparedModel } from './session';

/**
 * Run settings (explicit overrides: CLI flags, VS Code settings; the spec's minGroupSize,
 * bootstrap and seed next; then PROBE_DEFAULTS, see options.ts) plus cancellation and progress.
 * `batchSize` counts sequences per forward pass; `maxRows` data rows of a yes/no probe, templates of a counterfactual one.
 */
export interface ProbeRunOptions extends RunOverrides {
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressFn;
}

/** Sequences of a few dozen tokens with [B, T, V] logits: batches of 64. */
export const PROBE_DEFAULTS: RunOptions = { ...RUN_DEFAULTS, batchSize: 64 };

export type { ProbeReport } from '../../protocol/probe';

/** Answer sets as token ids, tokenised on their own. */
interface AnswerTokens { readonly yes?: number[][]; readonly no?: number[][] }

function specName(spec: ResolvedSpec): string {
  return spec.specPath || 'the spec';
}

function fieldError(spec: ResolvedSpec, field: string, message: string): BadInputError {
  return new BadInputError(`spec.${field.split(/[.[]/)[0] ?? field}`, `${specName(spec)}: field "${field}": ${message}`, { file: spec.specPath });
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** The probe's tokenizer: `probe.tokenizer`, else tokenizer.json next to the model. */
async function probeTokenizer(spec: ResolvedSpec, probe: ProbeSpec, model: string): Promise<{ path: string; tokenizer: TokenEncoder }> {
  const path = probe.tokenizer ?? join(dirname(model), 'tokenizer.json');
  if (probe.tokenizer === undefined && !(await exists(path))) {
    throw fieldError(spec, 'probe.tokenizer', `no tokenizer named and none next to the model (${path} not found); name the model's tokenizer.json`);
  }
  return { path, tokenizer: await loadTokenizer(path) };
}

/** An answer's token ids (tokenised on its own, no special tokens), or why it cannot be an answer. */
export function answerTokens(tokenizer: TokenEncoder, tokenizerPath: string, text: string): { ids: number[] } | { problem: string } {
  const ids = tokenizer.ids(text, false);
  return ids.length === 0 ? { problem: `${JSON.stringify(text)} tokenises to nothing with ${tokenizerPath}; an answer needs at least one token` } : { ids };
}

/** Why a counterfactual template cannot be used with `slot` (undefined when it can). */
export function templateProblem(text: string, slot: string): string | undefined {
  if (text === '') return 'the template is empty';
  return text.includes(slot) ? undefined : `the template has no slot ${JSON.stringify(slot)} (field "probe.slot"): ${JSON.stringify(text)}`;
}

function tokenizeAnswers(spec: ResolvedSpec, tokenizer: TokenEncoder, tokenizerPath: string, sets: { yes?: readonly string[]; no?: readonly string[] }, field: string): AnswerTokens {
  const one = (name: 'yes' | 'no', answers: readonly string[] | undefined): number[][] | undefined => answers?.map((text, i) => {
    const answer = answerTokens(tokenizer, tokenizerPath, text);
    if ('problem' in answer) throw fieldError(spec, `${field}${name}[${i}]`, answer.problem);
    return answer.ids;
  });
  const yes = one('yes', sets.yes);
  const no = one('no', sets.no);
  return { ...(yes ? { yes } : {}), ...(no ? { no } : {}) };
}

function scoreKind(answers: AnswerTokens): ProbeScoreKind {
  if (answers.yes && answers.no) return 'skew';
  if (answers.yes) return 'logp_yes';
  if (answers.no) return 'logp_no';
  return 'logp_text';
}

const LITTLE_ENDIAN = new Uint8Array(Int32Array.of(1).buffer)[0] === 1;

/** Most distinct prompt texts whose token ids a yes/no probe keeps (templated data repeats prompts). */
const TOKEN_CACHE_LIMIT = 100_000;

/** One sequence of a forward pass and the answer tokens read from its logits. */
interface Sequence {
  readonly ids: readonly number[];
  /** The prompt it scores. */
  readonly prompt: number;
  /**
   * Reads, 5 numbers each: set (0 yes, 1 no, 2 text), answer index, position, token, and a 0 pad;
   * null: single-token answers, every answer of both sets read at the prompt's last position.
   */
  readonly reads: readonly number[] | null;
}

const READ = 5;

/**
 * Scores prompts with a prepared language model: per prompt logP(yes set), logP(no set) or the
 * log-probability of its own tokens after the first.
 */
class LmScorer {
  sequences = 0;
  private readonly ort = loadOrt();

  constructor(
    private readonly prepared: PreparedModel,
    private readonly lm: LanguageModelFeeds,
    private readonly answers: AnswerTokens,
    /** The answers as written, [yes set, no set], for messages. */
    private readonly answerTexts: readonly (readonly string[])[],
    private readonly padId: number,
    private readonly vocabSize: number,
    private readonly batchSize: number,
    private readonly flagDims: Readonly<Record<string, number[]>>,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** `where(i)` names prompt i in messages (built only when one is needed). */
  async score(prompts: readonly (readonly number[])[], where: (i: number) => string): Promise<Float64Array> {
    const kind = scoreKind(this.answers);
    const sets = [this.answers.yes ?? [], this.answers.no ?? []];
    // logP per prompt, per set, per answer (teacher-forced sums).
    const logp = sets.map((set) => set.map(() => new Float64Array(prompts.length)));
    const text = new Float64Array(prompts.length);
    // Single-token answers (the usual case) are all read after the prompt itself: one sequence.
    const singleToken = kind !== 'logp_text' && sets.every((set) => set.every((answer) => answer.length === 1));
    const sequences = buildSequences(prompts, kind, singleToken, sets, where);
    this.checkSequences(sequences, sets, where);
    // A skew of single-token answers reads both sets at the same position, where the log-softmax's
    // normaliser LSE(x) cancels: s = LSE(x[yes set]) − LSE(x[no set]) from the raw logits.
    const normalise = !(kind === 'skew' && singleToken);
    for (let start = 0; start < sequences.length; start += this.batchSize) {
      throwIfAborted(this.signal);
      await this.runBatch(sequences.slice(start, start + this.batchSize), sets, logp, text, normalise);
    }
    this.sequences += sequences.length;
    return combineScores(kind, logp, text, prompts.length);
  }

  /** Sequences longer than the context, or with a token outside the vocabulary: bad input. */
  private checkSequences(sequences: readonly Sequence[], sets: readonly (readonly number[][])[], where: (i: number) => string): void {
    const context = this.lm.context;
    for (const seq of sequences) {
      if (context && seq.ids.length > context.tokens) {
        const s = seq.reads ? seq.reads[0]! : sets[0]!.length > 0 ? 0 : 1;
        const k = seq.reads ? seq.reads[1]! : 0;
        const answer = s === 2 ? '' : ` followed by the answer ${JSON.stringify(this.answerTexts[s]?.[k] ?? '')}`;
        throw new BadInputError('probe.too-long', `${where(seq.prompt)}: the prompt${answer} is ${seq.ids.length} tokens, longer than the model's context of ${context.tokens} tokens (${context.source}); shorten the prompt or set "probe.maxLength" if the model takes more`);
      }
      const bad = outOfRange(seq.ids, this.vocabSize);
      if (bad >= 0) throw new BadInputError('probe.token-range', `${where(seq.prompt)}: token id ${bad} is outside the model's vocabulary of ${this.vocabSize}`);
    }
  }

  /** Fills a [b, t] int64 or int32 feed; values are small non-negative integers (ids, positions, 0/1). */
  private static ints(dtype: 'int64' | 'int32', b: number, t: number, fill: (a: Int32Array, stride: number) => void): BigInt64Array | Int32Array {
    if (dtype === 'int32') {
      const a = new Int32Array(b * t);
      fill(a, 1);
      return a;
    }
    const a = new BigInt64Array(b * t);
    if (LITTLE_ENDIAN) {
      // int64 through its low 32-bit words (the high words stay 0): no BigInt per element.
      fill(new Int32Array(a.buffer), 2);
      return a;
    }
    const low = new Int32Array(b * t);
    fill(low, 1);
    for (let i = 0; i < low.length; i++) a[i] = BigInt(low[i]!);
    return a;
  }

  /** The feeds of one batch of sequences padded on the right to its longest, `t` tokens. */
  private batchFeeds(batch: readonly Sequence[], t: number): Record<string, InstanceType<ReturnType<typeof loadOrt>['Tensor']>> {
    const ort = this.ort;
    const b = batch.length;
    const lm = this.lm;
    const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
    feeds[lm.ids.name] = new ort.Tensor(lm.ids.dtype, LmScorer.ints(lm.ids.dtype, b, t, (a, w) => fillIds(a, w, batch, t, this.padId)), [b, t]);
    if (lm.mask) {
      if (lm.mask.dtype === 'float32') {
        const a = new Float32Array(b * t);
        fillMask(a, 1, batch, t);
        feeds[lm.mask.name] = new ort.Tensor('float32', a, [b, t]);
      } else {
        feeds[lm.mask.name] = new ort.Tensor(lm.mask.dtype, LmScorer.ints(lm.mask.dtype, b, t, (a, w) => fillMask(a, w, batch, t)), [b, t]);
      }
    }
    if (lm.positions) {
      feeds[lm.positions.name] = new ort.Tensor(lm.positions.dtype, LmScorer.ints(lm.positions.dtype, b, t, (a, w) => fillPositions(a, w, b, t)), [b, t]);
    }
    for (const past of lm.past) {
      const dims = past.dims.map((d) => (d === -1 ? b : d));
      feeds[past.name] = past.dtype === 'float32' ? new ort.Tensor('float32', new Float32Array(0), dims) : new ort.Tensor('float16', new Uint16Array(0), dims);
    }
    for (const flag of lm.flags) feeds[flag] = new ort.Tensor('bool', new Uint8Array((this.flagDims[flag] ?? []).reduce((a, d) => a * d, 1)), this.flagDims[flag] ?? []);
    return feeds;
  }

  /** `normalise` false: add the raw logits x[token] instead of log-softmax values (see score). */
  private async runBatch(batch: readonly Sequence[], sets: readonly (readonly number[][])[], logp: Float64Array[][], text: Float64Array, normalise: boolean): Promise<void> {
    const b = batch.length;
    let t = 0;
    for (const s of batch) if (s.ids.length > t) t = s.ids.length;
    const lm = this.lm;
    const feeds = this.batchFeeds(batch, t);
    let result;
    try {
      result = await this.prepared.session.run(feeds, [lm.logits]);
    } catch (err) {
      throw new InspectorError('probe.run-failed', 'failure', `${this.prepared.path}: the model failed on a batch of ${b} sequences of up to ${t} tokens (${err instanceof Error ? err.message : String(err)})`, { file: this.prepared.path, cause: err });
    }
    const out = result[lm.logits];
    const dims = out?.dims.map(Number) ?? [];
    if (!out || dims.length !== 3 || dims[0] !== b || dims[1] !== t) {
      throw new BadInputError('lm.no-vocab-axis', `${this.prepared.path}: output "${lm.logits}" came back with shape [${dims.join(', ')}] for ${b} sequences of ${t} tokens; a language model's logits are [batch, sequence, vocabulary]`, { file: this.prepared.path });
    }
    const v = dims[2]!;
    if (v < this.vocabSize) {
      throw new BadInputError('lm.vocab-size', `${this.prepared.path}: the vocabulary axis of "${lm.logits}" has ${v} entries but the tokenizer has ${this.vocabSize} tokens: is it this model's tokenizer?`, { file: this.prepared.path });
    }
    const data = out.data instanceof Float32Array ? out.data : Float32Array.from(out.data as ArrayLike<number>, Number);
    readAnswers(batch, sets, { data, t, v, lse: normalise ? new Float64Array(b * t).fill(Number.NaN) : null }, logp, text);
  }
}

/*
 * The scorer's loops, each in a small function of its own: V8 optimises (and on a deopt
 * re-optimises) a function as a whole, and the probe's first runs spent ~20 ms of compiler time
 * per call on the one large method these loops were in (BENCHMARKS.md, probe, round 4).
 */

/** The sequences of forward passes that score `prompts` (see Sequence); bad prompts throw. */
function buildSequences(
  prompts: readonly (readonly number[])[], kind: ProbeScoreKind, singleToken: boolean, sets: readonly (readonly number[][])[], where: (i: number) => string,
): Sequence[] {
  const sequences: Sequence[] = [];
  if (singleToken) {
    for (let i = 0; i < prompts.length; i++) {
      const prompt = prompts[i]!;
      if (prompt.length === 0) throw new BadInputError('probe.empty-prompt', `${where(i)}: the prompt tokenises to nothing`);
      sequences.push({ ids: prompt, prompt: i, reads: null });
    }
    return sequences;
  }
  for (let i = 0; i < prompts.length; i++) {
    const prompt = prompts[i]!;
    const p = prompt.length;
    if (kind === 'logp_text') {
      if (p < 2) throw new BadInputError('probe.short-template', `${where(i)}: the filled template is ${p} token(s); scoring its own tokens needs at least 2 (or name answers)`);
      const reads: number[] = [];
      for (let j = 1; j < p; j++) reads.push(2, 0, j - 1, prompt[j]!, 0);
      sequences.push({ ids: prompt, prompt: i, reads });
      continue;
    }
    if (p === 0) throw new BadInputError('probe.empty-prompt', `${where(i)}: the prompt tokenises to nothing`);
    const byPrefix = new Map<string, { ids: number[]; prompt: number; reads: number[] }>();
    sets.forEach((set, s) => set.forEach((answer, k) => {
      const prefix = answer.slice(0, -1);
      const key = prefix.join(',');
      let seq = byPrefix.get(key);
      if (!seq) {
        seq = { ids: [...prompt, ...prefix], prompt: i, reads: [] };
        byPrefix.set(key, seq);
      }
      answer.forEach((token, j) => seq.reads.push(s, k, p - 1 + j, token, 0));
    }));
    sequences.push(...byPrefix.values());
  }
  return sequences;
}

/** The first id ≥ vocabSize in `ids`, or −1. */
function outOfRange(ids: readonly number[], vocabSize: number): number {
  for (let j = 0; j < ids.length; j++) if (ids[j]! >= vocabSize) return ids[j]!;
  return -1;
}

/** Token ids, right-padded with `padId`, into a [b, t] feed of stride `w`. */
function fillIds(a: Int32Array, w: number, batch: readonly Sequence[], t: number, padId: number): void {
  for (let i = 0; i < batch.length; i++) {
    const ids = batch[i]!.ids;
    const n = ids.length;
    for (let j = 0; j < t; j++) a[(i * t + j) * w] = j < n ? ids[j]! : padId;
  }
}

/** 1 at each real token of a [b, t] feed of stride `w` (the array starts zeroed). */
function fillMask(a: Int32Array | Float32Array, w: number, batch: readonly Sequence[], t: number): void {
  for (let i = 0; i < batch.length; i++) {
    const n = batch[i]!.ids.length;
    for (let j = 0; j < n; j++) a[(i * t + j) * w] = 1;
  }
}

/** Position j at each [i, j] of a [b, t] feed of stride `w`. */
function fillPositions(a: Int32Array, w: number, b: number, t: number): void {
  for (let i = 0; i < b; i++) for (let j = 0; j < t; j++) a[(i * t + j) * w] = j;
}

/** A batch's logits [b, t, v]; `lse` caches each (sequence, position)'s log-sum-exp (NaN = not yet), null: raw logits. */
interface BatchLogits { readonly data: Float32Array; readonly t: number; readonly v: number; readonly lse: Float64Array | null }

/** log-softmax(x)[token] at `cell` = (row, position), or x[token] when `lse` is null; LSE in float64. */
function logitAt(logits: BatchLogits, cell: number, token: number): number {
  const { data, v, lse } = logits;
  const offset = cell * v;
  if (lse === null) return data[offset + token]!;
  let z = lse[cell]!;
  if (z !== z) {
    let max = -Infinity;
    for (let x = offset, end = offset + v; x < end; x++) if (data[x]! > max) max = data[x]!;
    let sum = 0;
    for (let x = offset, end = offset + v; x < end; x++) sum += Math.exp(data[x]! - max);
    z = max + Math.log(sum);
    lse[cell] = z;
  }
  return data[offset + token]! - z;
}

/** Adds each sequence's reads to its prompt's logP (per set and answer) or own-text logP. */
function readAnswers(batch: readonly Sequence[], sets: readonly (readonly number[][])[], logits: BatchLogits, logp: Float64Array[][], text: Float64Array): void {
  const t = logits.t;
  for (let row = 0; row < batch.length; row++) {
    const seq = batch[row]!;
    const i = seq.prompt;
    const reads = seq.reads;
    if (reads === null) {
      const cell = row * t + seq.ids.length - 1;
      for (let s = 0; s < sets.length; s++) {
        const set = sets[s]!;
        const target = logp[s]!;
        for (let k = 0; k < set.length; k++) target[k]![i]! += logitAt(logits, cell, set[k]![0]!);
      }
      continue;
    }
    for (let r = 0; r < reads.length; r += READ) {
      const s = reads[r]!;
      const value = logitAt(logits, row * t + reads[r + 2]!, reads[r + 3]!);
      if (s === 2) text[i]! += value;
      else logp[s]![reads[r + 1]!]![i]! += value;
    }
  }
}

/** log of the summed probabilities of a set's answers for prompt i (one answer: its logP). */
function setLogp(answers: readonly Float64Array[], i: number): number {
  if (answers.length === 1) return answers[0]![i]!;
  let max = -Infinity;
  for (const a of answers) if (a[i]! > max) max = a[i]!;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (const a of answers) sum += Math.exp(a[i]! - max);
  return max + Math.log(sum);
}

/** Each prompt's score s of `kind` from the per-answer logPs. */
function combineScores(kind: ProbeScoreKind, logp: readonly (readonly Float64Array[])[], text: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n);
  const yes = logp[0]!;
  const no = logp[1]!;
  for (let i = 0; i < n; i++) {
    out[i] = kind === 'skew' ? setLogp(yes, i) - setLogp(no, i) : kind === 'logp_yes' ? setLogp(yes, i) : kind === 'logp_no' ? setLogp(no, i) : text[i]!;
  }
  return out;
}

function flagDims(prepared: PreparedModel, lm: LanguageModelFeeds): Record<string, number[]> {
  const dims: Record<string, number[]> = {};
  for (const flag of lm.flags) {
    const shape = prepared.summary.inputs.find((i) => i.name === flag)?.shape ?? [];
    dims[flag] = shape.map((d) => (typeof d === 'number' ? d : 1));
  }
  return dims;
}

/** A probe's model, tokenizer and scorer, opened once; `close` releases the model. */
interface OpenProbe {
  readonly prepared: PreparedModel;
  readonly tokenizer: TokenEncoder;
  readonly tokenizerPath: string;
  readonly answers: AnswerTokens;
  readonly answerSets: { readonly yes?: readonly string[]; readonly no?: readonly string[] };
  readonly lm: LanguageModelFeeds;
  readonly scorer: LmScorer;
}

function checkProbeSpec(spec: ResolvedSpec): ProbeSpec {
  const probe = spec.probe;
  if (!probe) throw fieldError(spec, 'probe', 'is required: the probe to run ({"kind": "yesno", ...} or {"kind": "counterfactual", ...})');
  if (spec.outputKind !== 'language_model') throw fieldError(spec, 'outputKind', `a probe reads a language model's logits [batch, sequence, vocabulary]: set "language_model" (got "${spec.outputKind}")`);
  if (!spec.model) throw fieldError(spec, 'model', 'a probe needs the language model');
  return probe;
}

/**
 * Intra-op threads of a probe's session (settings 0/unset): sessionThreads with the host counted
 * busy, as attention does: between runs the probe tokenises, builds feeds and reads the logits,
 * so a small model leaves a core to it (every core but one; all of them from LARGE_MODEL_BYTES).
 * Measured on the shared 2-core benchmark VM with the demo LM (load average 6.6): 2 threads took
 * 400 ms wall / 206 ms CPU per 1000 prompts against 230 / 117 ms with 1 (BENCHMARKS.md,
 * language-model probes, round 3).
 * undefined when the file cannot be stat'ed (prepareModel then names the problem).
 */
async function probeThreads(model: string): Promise<number | undefined> {
  try {
    return sessionThreads((await stat(model)).size, false);
  } catch {
    return undefined;
  }
}

/** Loads the model (`spec.model`) and its tokenizer, checks them against each other, tokenises the answers. */
async function openProbe(spec: ResolvedSpec, probe: ProbeSpec, run: RunOptions, signal: AbortSignal | undefined): Promise<OpenProbe> {
  const model = spec.model!;
  // The tokenizer loads while onnxruntime builds the session (its own threads).
  const tokenizerLoad = probeTokenizer(spec, probe, model);
  tokenizerLoad.catch(() => undefined);
  const threads = run.threads || await probeThreads(model);
  const prepared = await prepareModel(model, {
    providers: run.providers,
    ...(threads ? { threads } : {}),
    ...(spec.output ? { output: spec.output } : {}),
    ...(signal ? { signal } : {}),
  });
  try {
    const detected = languageModelFeeds(prepared.proto, prepared.summary.inputs, prepared.summary.outputs, prepared.output, model);
    const { path: tokenizerPath, tokenizer } = await tokenizerLoad;
    const context = probe.maxLength !== undefined ? { tokens: probe.maxLength, source: 'the spec\'s "probe.maxLength"' }
      : detected.context ?? (tokenizer.maxLength !== undefined ? { tokens: tokenizer.maxLength, source: `the tokenizer's max length (${tokenizerPath})` } : null);
    const lm: LanguageModelFeeds = { ...detected, context };
    if (lm.vocab !== null && lm.vocab < tokenizer.vocabSize) {
      throw new BadInputError('lm.vocab-size', `${model}: the vocabulary axis of "${lm.logits}" has ${lm.vocab} entries but ${tokenizerPath} has ${tokenizer.vocabSize} tokens: is it this model's tokenizer?`, { file: model });
    }
    const answerSets = probe.kind === 'yesno' ? { yes: probe.yes, no: probe.no } : probe.answers ?? {};
    const answers = tokenizeAnswers(spec, tokenizer, tokenizerPath, answerSets, probe.kind === 'yesno' ? 'probe.' : 'probe.answers.');
    const scorer = new LmScorer(prepared, lm, answers, [answerSets.yes ?? [], answerSets.no ?? []], tokenizer.padId, tokenizer.vocabSize, run.batchSize, flagDims(prepared, lm), signal);
    return { prepared, tokenizer, tokenizerPath, answers, answerSets, lm, scorer };
  } catch (e) {
    await prepared.session.release();
    throw e;
  }
}

/** Runs the spec's language-model probe and returns the probe report. */
export async function runProbe(spec: ResolvedSpec, options: ProbeRunOptions): Promise<ProbeReport> {
  const probe = checkProbeSpec(spec);
  const run = resolveRunOptions(spec, options, PROBE_DEFAULTS);
  const progress = throttleProgress(options.onProgress);
  progress(0, 'loading the model');
  const opened = await openProbe(spec, probe, run, options.signal);
  const { prepared, tokenizer, tokenizerPath, answers, answerSets, lm, scorer } = opened;
  try {
    // 'auto' replicates follow the number of prompts (yes/no) or templates (counterfactual): options.ts.
    const boot = (units: number): BootstrapOptions => ({ replicates: replicatesFor(run.bootstrap, units), seed: run.seed });
    const minGroupSize = run.minGroupSize;
    const common = {
      answers: { ...answerSets, tokens: answers },
      tokenizer: tokenizerPath,
      context: lm.context,
      pastInputs: lm.past.map((p) => p.name),
      minGroupSize,
    };
    const body = probe.kind === 'yesno'
      ? await yesNoProbe(spec, probe, tokenizer, scorer, boot, minGroupSize, { ...options, maxRows: run.maxRows }, progress)
      : await counterfactualProbe(spec, probe, tokenizer, scorer, scoreKind(answers), boot, minGroupSize, { ...options, maxRows: run.maxRows }, progress);
    options.onProgress?.(1, 'done');
    return {
      schema: REPORT_SCHEMA, kind: 'probe', createdAt: new Date().toISOString(), spec: spec.specPath,
      model: reportModel(prepared.summary), runtime: prepared.runtime,
      data: body.data,
      probe: {
        kind: probe.kind, score: scoreKind(answers), ...common, ...body.section, sequences: scorer.sequences,
        ...(body.replicates > 0 ? { bootstrap: { replicates: body.replicates, seed: run.seed, confidence: 0.95, method: 'percentile' as const } } : {}),
      },
      ...(body.groups ? { groups: body.groups } : {}),
    };
  } finally {
    await prepared.session.release();
  }
}

type SectionBody = Omit<ProbeSection, 'kind' | 'score' | 'answers' | 'tokenizer' | 'context' | 'pastInputs' | 'minGroupSize' | 'bootstrap' | 'sequences'>;
interface ProbeBody { readonly section: SectionBody; readonly data: ProbeReport['data']; readonly groups?: GroupsSection; readonly replicates: number }

const PLACEHOLDER = /\{([^{}]+)\}/g;

/** One batch of a yes/no probe's data: the rows read, the rows the encoder used, and their skews. */
export interface ScoredProbeBatch {
  readonly batch: RowBatch;
  readonly encoded: EncodedBatch;
  /** Index in `batch` of each used row. */
  readonly positions: Uint32Array;
  /** s per used row (FORMULAS.md §H: logP(yes set) − logP(no set), or the one set's logP). */
  readonly scores: Float64Array;
}

/**
 * Streams a yes/no probe's data: each row's prompt is filled from its columns, tokenised and
 * scored; `onBatch` sees every batch with its scores. `extraColumns` must exist in the data
 * (`what` names them in the error). Returns the encoder's counts.
 */
async function scoreYesNoTable(
  spec: ResolvedSpec, probe: YesNoProbeSpec, tokenizer: TokenEncoder, scorer: LmScorer,
  options: { readonly maxRows: number; readonly signal?: AbortSignal; readonly extraColumns?: readonly string[]; readonly what?: string },
  progress: ProgressFn, onBatch: (scored: ScoredProbeBatch) => void | Promise<void>,
): Promise<{ summary: EncoderSummary; columns: readonly string[] }> {
  if (spec.groups.length === 0) throw fieldError(spec, 'groups', 'name at least one group column: the skew is reported per group');
  if (spec.label !== undefined && spec.task !== 'binary') throw fieldError(spec, 'task', `a yes/no probe's label is binary (yes = positive); got "${spec.task}"`);
  const parts = probe.prompt.split(PLACEHOLDER);
  const columns = [...new Set(parts.filter((_p, j) => j % 2 === 1))];
  const extra = options.extraColumns ?? [];
  const table = await openTable(spec.data, { batchRows: 1024, ...(options.signal ? { signal: options.signal } : {}) });
  try {
    await table.findColumns?.([...columns, ...extra]);
    const missing = columns.filter((c) => !table.columns.includes(c));
    if (missing.length > 0) throw fieldError(spec, 'probe.prompt', `names column(s) ${missing.map((c) => `{${c}}`).join(', ')} that ${spec.data} does not have (columns: ${table.columns.join(', ')})`);
    for (const name of extra) {
      if (!table.columns.includes(name)) throw new BadInputError('data.missing-column', `${spec.data}: no column "${name}" (${options.what ?? 'column'}); available columns: ${table.columns.join(', ')}`, { file: spec.data });
    }
    const encoder = await createInputEncoder({ ...spec, inputs: {} }, [], table);
    // Filled prompts repeat in templated data: each distinct text is tokenised once.
    const tokenCache = new Map<string, number[]>();
    let rows = 0;
    let read = 0;
    const maxRows = options.maxRows;
    for await (const whole of table.batches()) {
      throwIfAborted(options.signal);
      // maxRows counts data rows read, as the groups analysis does.
      const full = maxRows > 0 && read + whole.length > maxRows ? firstRows(whole, maxRows - read) : whole;
      read += full.length;
      const encoded = await encoder.encode(full);
      const used = encoded.rowsUsed;
      if (used === 0) {
        if (maxRows > 0 && read >= maxRows) break;
        continue;
      }
      const positions = batchPositions(full.rowNumbers, encoded.rowNumbers);
      // The prompt split once at its {column}s: literal, column, literal, …, literal.
      const cells = parts.map((part, j) => (j % 2 === 1 ? full.column(part) : null));
      const prompts: number[][] = new Array<number[]>(used);
      const texts: string[] = new Array<string>(used);
      for (let i = 0; i < used; i++) {
        let text = parts[0]!;
        for (let j = 1; j < parts.length; j += 2) {
          const cell = cells[j]![positions[i]!];
          if (cell === null || cell === undefined) throw new BadInputError('probe.missing-cell', `${spec.data}: row ${encoded.rowNumbers[i]!}, column "${parts[j]!}": empty, and the probe prompt (field "probe.prompt") needs it`, { file: spec.data });
          text += (typeof cell === 'string' ? cell : JSON.stringify(cell)) + parts[j + 1]!;
        }
        let ids = tokenCache.get(text);
        if (!ids) {
          ids = tokenizer.ids(text, true);
          if (tokenCache.size >= TOKEN_CACHE_LIMIT) tokenCache.clear();
          tokenCache.set(text, ids);
        }
        prompts[i] = ids;
        texts[i] = text;
      }
      const scores = await scorer.score(prompts, (i) => `${spec.data}: row ${encoded.rowNumbers[i]!} (prompt ${JSON.stringify(texts[i])})`);
      await onBatch({ batch: full, encoded, positions, scores });
      rows += used;
      const { bytesRead, bytesTotal } = table.progress();
      progress(bytesTotal > 0 ? 0.95 * bytesRead / bytesTotal : 0, `${rows} prompts`);
      if (maxRows > 0 && read >= maxRows) break;
    }
    if (rows === 0) throw new BadInputError('data.empty', `${spec.data}: no rows to probe`, { file: spec.data });
    const summary = encoder.finish({ partial: maxRows > 0 });
    await encoder.close();
    return { summary, columns: table.columns };
  } finally {
    await table.close();
  }
}

/**
 * The prediction of a yes/no probe row as the scoring analyses read it: the logit s (so
 * P(yes) = sigmoid(s) = P(yes set) / (P(yes set) + P(no set)), predicted positive when s > 0),
 * its loss against the label (the spec's loss), through the same batch evaluator as any binary model.
 */
function probeColumns(spec: ResolvedSpec, scored: ScoredProbeBatch): { labels: Float64Array; columns: ReturnType<typeof evaluateBatch> } {
  const used = scored.encoded.rowsUsed;
  const labels = (scored.encoded.labels ?? new Float64Array(0)).subarray(0, used);
  const columns = evaluateBatch({ data: scored.scores, dims: [used], outputKind: 'logits', task: 'binary', labels, loss: { name: spec.loss }, tensor: 'yes/no skew', file: spec.data, rowOffset: scored.encoded.rowNumbers[0] ?? 0 });
  return { labels, columns };
}

/** Adds a scored batch to a groups builder (per-row columns, row numbers, groups, weights). */
function addProbeBatch(spec: ResolvedSpec, builder: GroupMetricsBuilder, scored: ScoredProbeBatch): void {
  const { encoded } = scored;
  const used = encoded.rowsUsed;
  const { labels, columns } = probeColumns(spec, scored);
  builder.add({
    label: labels, pred: columns.pred, loss: columns.loss, score: columns.score,
    ...(encoded.weights ? { weight: encoded.weights.subarray(0, used) } : {}),
    groups: encoded.groupCodes.map((c) => c.subarray(0, used)), groupValues: encoded.groupDictionary,
    rowOffset: encoded.rowNumbers[0] ?? 0, rowNumbers: encoded.rowNumbers.subarray(0, used), file: spec.data,
  });
}

async function yesNoProbe(
  spec: ResolvedSpec, probe: YesNoProbeSpec, tokenizer: TokenEncoder, scorer: LmScorer, bootFor: (units: number) => BootstrapOptions,
  minGroupSize: number, options: ProbeRunOptions, progress: ProgressFn,
): Promise<ProbeBody> {
  const scores: number[] = [];
  const groupIndex: number[] = [];
  const keys = new Map<string | number, number>();
  const groupKeys: GroupKey[] = [];
  const groupsBuilder = spec.label === undefined ? undefined : probeGroupsBuilder(spec, bootFor(0).replicates > 0);
  const builder = groupsBuilder?.builder;
  const { summary } = await scoreYesNoTable(spec, probe, tokenizer, scorer, { maxRows: options.maxRows ?? 0, ...(options.signal ? { signal: options.signal } : {}) }, progress, (scored) => {
    const { encoded, scores: s } = scored;
    // Groups by the encoder's codes (−1 = missing): one lookup per row, a key string only with several columns.
    const codes = encoded.groupCodes;
    const single = codes.length === 1;
    for (let i = 0; i < encoded.rowsUsed; i++) {
      scores.push(s[i]!);
      let missing = false;
      for (const c of codes) if (c[i]! < 0) missing = true;
      if (missing) {
        groupIndex.push(-1);
        continue;
      }
      const key = single ? codes[0]![i]! : codes.map((c) => c[i]!).join(',');
      let index = keys.get(key);
      if (index === undefined) {
        index = groupKeys.length;
        keys.set(key, index);
        groupKeys.push(Object.fromEntries(spec.groups.map((g, j) => [g, encoded.groupDictionary[j]![codes[j]![i]!]!])));
      }
      groupIndex.push(index);
    }
    groupsBuilder?.add(scored);
  });
  const rows = scores.length;
  const boot = bootFor(rows);
  const stats = groupScoreStats(Float64Array.from(scores), Int32Array.from(groupIndex), groupKeys.length, true, boot);
  const groups = builder ? await builder.finish({ minGroupSize, bootstrap: boot.replicates, seed: boot.seed, ...(options.signal ? { signal: options.signal } : {}) }) : undefined;
  const byGroup = groupKeys.map((group, g): ProbeGroupEntry => {
    const st = stats.byGroup[g]!;
    const metrics = groups?.byGroup.find((e) => spec.groups.every((c) => e.group[c] === group[c]));
    return {
      group, ...metricFields(metrics), count: st.count, selection_rate: st.selection_rate, meanScore: st.meanScore, ci: st.ci, selectionCi: st.selectionCi,
      ...(st.count < minGroupSize ? { small: true as const } : {}),
    };
  }).sort((a, b) => compareKeys(a.group, b.group, spec.groups));
  return {
    section: {
      prompt: probe.prompt, prompts: rows, sensitive: spec.groups,
      overall: { ...metricFields(groups?.overall), count: stats.overall.count, selection_rate: stats.overall.selection_rate, meanScore: stats.overall.meanScore, ci: stats.overall.ci, selectionCi: stats.overall.selectionCi },
      byGroup, missingGroup: groupIndex.filter((g) => g < 0).length,
    },
    data: { path: spec.data, rows: summary.rows, skippedRows: summary.skippedRows, skipReasons: summary.skipReasons },
    ...(groups ? { groups } : {}),
    replicates: boot.replicates,
  };
}

/** The §B scalar metrics of a groups entry, without its own group, count, selection rate and intervals (the probe's take their place). */
function metricFields(entry: object | undefined): Partial<ProbeGroupEntry> {
  if (!entry) return {};
  const { group: _g, ci: _ci, calibration: _cal, small: _small, count: _count, selection_rate: _sr, ...rest } = entry as Record<string, unknown>;
  return rest as Partial<ProbeGroupEntry>;
}

function compareKeys(a: GroupKey, b: GroupKey, columns: readonly string[]): number {
  for (const c of columns) {
    const x = a[c] ?? '';
    const y = b[c] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

async function counterfactualProbe(
  spec: ResolvedSpec, probe: CounterfactualProbeSpec, tokenizer: TokenEncoder, scorer: LmScorer, kind: ProbeScoreKind, bootFor: (units: number) => BootstrapOptions,
  minGroupSize: number, options: ProbeRunOptions, progress: ProgressFn,
): Promise<ProbeBody> {
  const slot = probe.slot ?? '{group}';
  const column = probe.column ?? 'template';
  const file = probe.templates;
  // maxRows counts templates read (a dry run checks the first ones).
  const maxRows = options.maxRows ?? 0;
  const table = await openTable(file, { batchRows: 4096, ...(options.signal ? { signal: options.signal } : {}) });
  const templates: { row: number; text: string }[] = [];
  let skipped = 0;
  try {
    await table.findColumns?.([column]);
    if (!table.columns.includes(column)) throw fieldError(spec, probe.column === undefined ? 'probe.templates' : 'probe.column', `${file} has no column "${column}" (columns: ${table.columns.join(', ')})`);
    for await (const batch of table.batches()) {
      skipped += batch.skipped.length;
      const cells = batch.column(column);
      for (let i = 0; i < batch.length; i++) {
        const row = batch.rowNumbers[i]!;
        const cell = cells[i];
        if (typeof cell !== 'string' || cell === '') throw new BadInputError('probe.bad-template', `${file}: row ${row}, column "${column}": expected a template string (got ${JSON.stringify(cell ?? null)})`, { file });
        const problem = templateProblem(cell, slot);
        if (problem) throw new BadInputError('probe.no-slot', `${file}: row ${row}, column "${column}": ${problem}`, { file });
        templates.push({ row, text: cell });
        if (maxRows > 0 && templates.length >= maxRows) break;
      }
      if (maxRows > 0 && templates.length >= maxRows) break;
    }
  } finally {
    await table.close();
  }
  if (templates.length === 0) throw new BadInputError('data.empty', `${file}: no templates`, { file });
  const names = Object.keys(probe.terms);
  const perGroupTerms: Float64Array[][] = [];
  const meanPerGroup: Float64Array[] = [];
  let done = 0;
  const total = names.reduce((a, g) => a + probe.terms[g]!.length, 0) * templates.length;
  for (const [g, name] of names.entries()) {
    const terms = probe.terms[name]!;
    const mean = new Float64Array(templates.length);
    const perTerm: Float64Array[] = [];
    for (const [k, term] of terms.entries()) {
      const filled = templates.map((t) => t.text.split(slot).join(term));
      const where = (i: number): string => `${file}: row ${templates[i]!.row} with ${JSON.stringify(slot)} = ${JSON.stringify(term)} (field "probe.terms.${name}[${k}]"; prompt ${JSON.stringify(filled[i])})`;
      const s = await scorer.score(filled.map((text) => tokenizer.ids(text, true)), where);
      perTerm.push(s);
      for (let t = 0; t < s.length; t++) mean[t]! += s[t]! / terms.length;
      done += s.length;
      progress(0.95 * done / total, `${done} of ${total} prompts`);
    }
    perGroupTerms[g] = perTerm;
    meanPerGroup[g] = mean;
  }
  const skew = kind === 'skew';
  const boot = bootFor(templates.length);
  const stats = counterfactualStats(meanPerGroup, perGroupTerms, skew, boot);
  const key = (name: string): GroupKey => ({ group: name });
  const byGroup = names.map((name, g): ProbeGroupEntry => {
    const st = stats.byGroup[g]!;
    return { group: key(name), count: st.prompts, selection_rate: st.selection_rate, meanScore: st.meanScore, ci: st.ci, selectionCi: null, ...(st.prompts < minGroupSize ? { small: true as const } : {}) };
  });
  const pairs: ProbePair[] = stats.pairs.map((p) => ({
    groups: [key(names[p.g]!), key(names[p.h]!)], meanDelta: p.meanDelta, ci: p.ci, flips: p.flips, flipShare: p.flipShare, templates: p.templates,
  }));
  const rows: ProbeTemplateRow[] = templates.map((t, i) => ({
    index: i, row: t.row, template: t.text, scores: Object.fromEntries(names.map((name, g) => [name, meanPerGroup[g]![i]!])),
  }));
  const all = new Float64Array(templates.length);
  for (let t = 0; t < all.length; t++) for (const m of meanPerGroup) all[t]! += m[t]! / names.length;
  const overall = groupScoreStats(all, new Int32Array(all.length).fill(-1), 0, false, boot).overall;
  return {
    section: {
      slot, terms: probe.terms, prompts: total, sensitive: ['group'],
      overall: { count: total, selection_rate: skew ? byGroup.reduce((a, e) => a + (e.selection_rate ?? 0) * e.count, 0) / total : null, meanScore: overall.meanScore, ci: overall.ci, selectionCi: null },
      byGroup, missingGroup: 0, pairs, templates: rows,
    },
    data: { path: file, rows: templates.length, skippedRows: skipped, skipReasons: {} },
    replicates: boot.replicates,
  };
}


/** Where the rows of `scoreProbeRows` came from. */
export interface ProbeRowsSource {
  readonly model: ReportModel;
  readonly modelSummary: ModelSummary;
  readonly runtime: RuntimeInfo;
  readonly dataPath: string;
  readonly summary: EncoderSummary;
  /** Every column of the data. */
  readonly columns: readonly string[];
}

/** A scored batch as a binary model's outputs: labels, and the evaluator's pred (s > 0), score (sigmoid(s)) and loss. */
export interface ProbeRowColumns {
  readonly labels: Float64Array;
  readonly columns: ReturnType<typeof evaluateBatch>;
}

/**
 * A labelled yes/no probe as a binary classifier for the analyses that score predictions (slices,
 * thresholds, compare: FORMULAS.md §H "with labels every §B metric"). Each data row's prompt is
 * scored by the probe's own path; the row's logit is s, so its score is P(yes) = sigmoid(s) =
 * P(yes set) / (P(yes set) + P(no set)) and it is predicted positive when s > 0 — the same
 * numbers as the probe report's `groups` section. `run` are the caller's resolved settings
 * (batchSize counts sequences per forward pass).
 */
export async function scoreProbeRows(
  spec: ResolvedSpec, what: string, run: Pick<RunOptions, 'providers' | 'batchSize' | 'maxRows' | 'threads'>,
  options: { readonly signal?: AbortSignal; readonly onProgress?: ProgressFn; readonly extraColumns?: readonly string[] },
  onBatch: (scored: ScoredProbeBatch, columns: ProbeRowColumns) => void | Promise<void>,
): Promise<ProbeRowsSource> {
  const probe = checkProbeSpec(spec);
  if (probe.kind !== 'yesno') throw fieldError(spec, 'probe.kind', `${what} reads a yes/no probe's data rows and labels; a counterfactual probe has neither (run bias-inspector probe)`);
  if (spec.label === undefined) throw fieldError(spec, 'label', `${what} on a yes/no probe scores the prediction s > 0 against a label column: name it (with "task": "binary")`);
  const progress = throttleProgress(options.onProgress);
  progress(0, 'loading the model');
  const opened = await openProbe(spec, probe, { ...PROBE_DEFAULTS, ...run }, options.signal);
  try {
    const { summary, columns } = await scoreYesNoTable(spec, probe, opened.tokenizer, opened.scorer, {
      maxRows: run.maxRows, ...(options.signal ? { signal: options.signal } : {}),
      ...(options.extraColumns ? { extraColumns: options.extraColumns, what: `${what} column` } : {}),
    }, (f, m) => progress(0.9 * f / 0.95, m), (scored) => onBatch(scored, probeColumns(spec, scored)));
    return { model: reportModel(opened.prepared.summary), modelSummary: opened.prepared.summary, runtime: opened.prepared.runtime, dataPath: spec.data, summary, columns };
  } finally {
    await opened.prepared.session.release();
  }
}

/** A groups builder over a labelled yes/no probe's rows (the same builder the probe report's `groups` comes from). */
export function probeGroupsBuilder(spec: ResolvedSpec, keepRows: boolean): { builder: GroupMetricsBuilder; add: (scored: ScoredProbeBatch) => void } {
  const builder = new GroupMetricsBuilder({ task: 'binary', sensitive: spec.groups, numClasses: 2, keepRows });
  return { builder, add: (scored) => addProbeBatch(spec, builder, scored) };
}
