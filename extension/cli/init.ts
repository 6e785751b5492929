/**
 * `bias-inspector init --model m.onnx --data d.csv [--label y] [--group a,b] [--task t] [--out s]`
 * (issue #16): writes the suggested spec. Asks nothing: flags override, the rest is suggested
 * with its reason printed; the spec is dry-run (first rows through the model) before it is
 * written, and nothing is written when no runnable spec can be inferred (exit 2 with why).
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import {
  BadInputError, TASKS, dryRunSpec, isNpyMapping, isTextMapping, languageModelOutput, parseProviderSetting, specFromSuggestions, suggestForFiles, suggestSliceColumns, writeSpec,
  type InputMapping, type SpecSuggestions, type Task,
} from '../core/analyze';
import { inspectModel } from '../core/onnx';
import type { DryRunAnalysis } from '../protocol/dryRun';
import { parseInputFlag } from './groups';
import { table } from './format';
import { initProbe, type ProbeInitFlags } from './initProbe';

interface InitFlags extends ProbeInitFlags {
  model?: string; data?: string; label?: string; group?: string; task?: string; out?: string; input?: string[];
  analysis?: string; sliceColumns?: string;
}

const ANALYSES: readonly DryRunAnalysis[] = ['groups', 'attention', 'slices', 'probe'];
const repeat = (v: string, prev: string[] = []): string[] => [...prev, v];

/** `m.onnx` -> `m.bias.json` next to it. */
export function defaultSpecFile(model: string): string {
  return resolve(model).replace(/\.onnx$/i, '') + '.bias.json';
}

function checkFlags(flags: InitFlags, analysis: DryRunAnalysis): { model: string; data: string; task?: Task; rows: number } {
  if (!flags.model || !flags.data) throw new BadInputError('cli.bad-flag', `init: give --model m.onnx and --data d.csv${analysis === 'groups' ? ' (or --analysis probe for a language model: no data needed)' : ''}`);
  if (flags.task !== undefined && !(TASKS as readonly string[]).includes(flags.task)) {
    throw new BadInputError('cli.bad-flag', `--task ${flags.task}: expected one of ${TASKS.join(', ')}`);
  }
  return { model: resolve(flags.model), data: resolve(flags.data), ...(flags.task ? { task: flags.task as Task } : {}), rows: checkRows(flags.rows) };
}

function checkRows(value: string): number {
  const rows = Number(value);
  if (!Number.isInteger(rows) || rows < 1) throw new BadInputError('cli.bad-flag', `--rows ${value}: expected a positive integer`);
  return rows;
}

/** The analysis the spec is for: the flag, else probe for a language model without data, else groups. */
async function analysisOf(flags: InitFlags): Promise<{ analysis: DryRunAnalysis; lm: boolean }> {
  if (flags.analysis !== undefined && !(ANALYSES as readonly string[]).includes(flags.analysis)) throw new BadInputError('cli.bad-flag', `--analysis ${flags.analysis}: expected ${ANALYSES.join(', ')}`);
  if (!flags.model) throw new BadInputError('cli.bad-flag', 'init: give --model m.onnx and --data d.csv');
  const lm = languageModelOutput(await inspectModel(resolve(flags.model))) !== undefined;
  const probeFlags = [flags.tokenizer, flags.templates, flags.prompt, flags.yes, flags.no, flags.term, flags.slot].some((f) => f !== undefined);
  return { analysis: (flags.analysis as DryRunAnalysis | undefined) ?? (lm && (!flags.data || probeFlags) ? 'probe' : 'groups'), lm };
}

/** The lines `init` prints: each part of the spec, what it is and why. */
export function formatSuggestions(s: SpecSuggestions, spec: { readonly label?: string; readonly task?: string; readonly groups?: readonly string[] }, given: { label: boolean; task: boolean; groups: boolean; inputs: Readonly<Record<string, InputMapping>> }): string {
  const rows: string[][] = [];
  const why = (chosen: boolean, reason: string | undefined): string => (chosen ? `from the flag${reason ? `; ${reason}` : ''}` : reason ?? '');
  if (s.output) rows.push(['output', s.output.name, s.output.reason]);
  const task = s.tasks.find((t) => t.value === spec.task);
  if (s.tasks[0]?.value === 'language_model') rows.push(['model', 'language model', s.tasks[0].reason]);
  else if (spec.task !== undefined) rows.push(['task', spec.task, why(given.task, task?.reason)]);
  if (spec.label !== undefined) rows.push(['label', spec.label, why(given.label, s.labels.find((l) => l.value === spec.label)?.reason)]);
  if (s.positiveLabel && spec.task === 'binary') rows.push(['positive', s.positiveLabel.value, s.positiveLabel.reason]);
  for (const i of s.inputs) {
    const m = i.mapping;
    const flag = given.inputs[i.input];
    rows.push([`input ${i.input}`, flag ? describeMapping(flag) : describeMapping(m), flag ? 'from --input' : i.reason]);
  }
  for (const g of s.groups) rows.push(['group', g.value, `${g.picked || spec.groups?.includes(g.value) ? '' : 'offered, not used: '}${given.groups && spec.groups?.includes(g.value) ? 'from the flag' : g.reason}`]);
  if (s.idColumns.length > 0) rows.push(['row ids', s.idColumns.join(', '), 'never used as features']);
  return table(rows);
}

export function registerInit(program: Command): void {
  program.command('init')
    .description('write an analysis spec suggested from the model and the data (checked by running the first rows)')
    .option('--model <file>', 'ONNX model')
    .option('--data <file>', 'evaluation data: .csv .tsv .jsonl .parquet')
    .option('--label <column>', 'label column (default: suggested)')
    .option('--group <a,b>', 'sensitive columns (default: suggested)')
    .option('--task <task>', 'binary | multiclass | regression (default: from the model output and the label)')
    .option('--input <name=mapping>', 'input mapping (repeatable), as for groups: name=col1,col2 | name=ids:col | name=npy:f.npy | name=text:col:tokenizer.json', (v: string, prev: string[] = []) => [...prev, v])
    .option('--out <file>', 'spec file to write (default: <model>.bias.json next to the model)')
    .option('--analysis <name>', 'analysis the spec must run: groups | attention | slices | probe (default: probe for a language model without --data, else groups)')
    .option('--slice-columns <a,b>', 'slices: candidate columns (default: every metadata column the model does not read)')
    .option('--tokenizer <file>', 'probe: the model\'s tokenizer.json (default: suggested from the files next to the model)')
    .option('--templates <file>', 'probe: table of prompt templates, each with the slot (default: suggested from the tables next to the model)')
    .option('--prompt <template>', 'probe: a prompt template with the slot, e.g. "the {group} applied . hire ? answer yes or no:" (repeatable; written to <out>.templates.jsonl)', repeat)
    .option('--slot <text>', 'probe: the slot the terms fill (default: the placeholder every template holds, {group} first)')
    .option('--yes <answer>', 'probe: a yes answer, leading space kept (repeatable; default " yes")', repeat)
    .option('--no <answer>', 'probe: a no answer (repeatable; default " no")', repeat)
    .option('--term <GROUP=w1,w2>', 'probe: the words that fill the slot for one group (repeatable; at least two groups)', repeat)
    .option('--rows <n>', 'rows of the dry run', '32')
    .option('--ep <providers>', 'execution providers of the dry run', 'auto')
    .option('--force', 'replace an existing spec file')
    .action(async (flags: InitFlags) => {
      const { analysis, lm } = await analysisOf(flags);
      if (analysis === 'probe') {
        const model = resolve(flags.model!);
        const out = resolve(flags.out ?? defaultSpecFile(model));
        await initProbe(flags, model, await inspectModel(model), out, checkRows(flags.rows));
        return;
      }
      const { model, data, task, rows } = checkFlags(flags, analysis);
      const out = resolve(flags.out ?? defaultSpecFile(model));
      if (existsSync(out) && !flags.force) throw new BadInputError('cli.bad-flag', `${out}: already exists; pass --force to replace it, or --out for another file`, { file: out });
      const groups = flags.group?.split(',').map((g) => g.trim()).filter(Boolean);
      const hints = { ...(flags.label ? { label: flags.label } : {}), ...(groups ? { groups } : {}), ...(task ? { task } : {}) };
      const inputs: Record<string, InputMapping> = {};
      for (const flag of flags.input ?? []) {
        const [name, m] = parseInputFlag(flag);
        inputs[name] = isNpyMapping(m) ? { npy: resolve(m.npy) } : isTextMapping(m) ? { ...m, tokenizer: resolve(m.tokenizer) } : m;
      }
      const { suggestions: s, columns } = await suggestForFiles(model, data, hints);
      const problems = [
        ...s.problems.filter((p) => !s.inputs.some((i) => inputs[i.input] && p.startsWith(`${i.described}:`))),
        ...(analysis === 'attention' ? [] : lm ? [`the model is a language model ([B, T, V] output): a ${analysis} analysis needs a classifier or regressor; use --analysis probe (counterfactual yes/no skew per group) or --analysis attention`] : []),
      ].filter((p) => analysis !== 'attention' || !/^no column (fits as|can be) the label/.test(p));
      const open = s.inputs.filter((i) => i.choose && !inputs[i.input]).map((i) => `${i.described}: ${i.choose!.candidates.length} numeric columns fit (${i.choose!.candidates.join(', ')}); choose ${i.choose!.width} with --input ${i.input}=${i.choose!.candidates.slice(0, i.choose!.width).join(',')} (in the order the model expects)`);
      if (problems.length > 0 || open.length > 0) {
        throw new BadInputError('init.no-spec', `init: no runnable spec can be inferred from ${model} and ${data}:\n  ${[...problems, ...open].join('\n  ')}`, { file: data });
      }
      const spec = specFromSuggestions(s, { model, data, specPath: out }, { ...hints, inputs });
      let written = spec;
      const sliceLines: string[][] = [];
      if (analysis === 'slices') {
        const options = suggestSliceColumns(columns, spec, s.idColumns);
        const named = flags.sliceColumns?.split(',').map((c) => c.trim()).filter(Boolean);
        const unknown = (named ?? []).filter((c) => !columns.some((p) => p.name === c));
        if (unknown.length > 0) throw new BadInputError('cli.bad-flag', `--slice-columns: ${unknown.join(', ')} ${unknown.length === 1 ? 'is not a column' : 'are not columns'} of ${data} (columns: ${columns.map((c) => c.name).join(', ')})`, { file: data });
        const chosen = named ?? options.filter((o) => o.picked).map((o) => o.value);
        if (chosen.length === 0) throw new BadInputError('init.no-spec', `init: no candidate column to slice by in ${data}: ${options.map((o) => `${o.value} (${o.reason})`).join('; ')}; give --slice-columns`, { file: data });
        for (const o of options) sliceLines.push(['slice column', o.value, named ? (named.includes(o.value) ? 'from the flag' : `not used: ${o.reason.replace(/^not suggested: /, '')}`) : o.reason]);
        for (const c of named ?? []) if (!options.some((o) => o.value === c)) sliceLines.push(['slice column', c, 'from the flag']);
        written = { ...spec, slices: { columns: chosen } };
      }
      process.stdout.write(`${formatSuggestions(s, written, { label: hints.label !== undefined, task: task !== undefined, groups: groups !== undefined, inputs })}\n${sliceLines.length ? `${table(sliceLines)}\n` : ''}`);
      const dry = await dryRunSpec(written, { providers: parseProviderSetting(flags.ep, '--ep'), analysis, baseDir: dirname(out), specPath: out, rows });
      if (!dry.ok) throw new BadInputError('init.dry-run', `init: the suggested spec does not run (step "${dry.step}"): ${dry.message}\nnothing was written; fix it with ${flagFor(dry.step)}`, { file: out });
      await writeSpec(out, written);
      process.stdout.write(`checked: ${dry.message}\nwrote ${out}\n`);
    });
}

function describeMapping(m: InputMapping | undefined): string {
  if (!m) return '(none)';
  if ('columns' in m) return m.columns.join(', ');
  if ('column' in m) return `token ids from ${m.column}`;
  if (isTextMapping(m)) return `text ${m.text} (${basename(m.tokenizer)})`;
  return basename(m.npy);
}

function flagFor(step: string): string {
  switch (step) {
    case 'label': return '--label (or --task)';
    case 'groups': return '--group';
    case 'inputs': case 'columns': return '--input';
    case 'output': return '--task';
    case 'data': return '--data';
    case 'model': return '--model';
    default: return 'the flags';
  }
}
