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
  BadInputError, TASKS, dryRunSpec, isNpyMapping, isTextMapping, parseProviderSetting, specFromSuggestions, suggestForFiles, writeSpec,
  type InputMapping, type SpecSuggestions, type Task,
} from '../core/analyze';
import type { DryRunAnalysis } from '../protocol/dryRun';
import { parseInputFlag } from './groups';
import { table } from './format';

interface InitFlags {
  model?: string; data?: string; label?: string; group?: string; task?: string; out?: string; input?: string[];
  analysis: string; ep: string; force?: boolean; rows: string;
}

/** `m.onnx` -> `m.bias.json` next to it. */
export function defaultSpecFile(model: string): string {
  return resolve(model).replace(/\.onnx$/i, '') + '.bias.json';
}

function checkFlags(flags: InitFlags): { model: string; data: string; task?: Task; analysis: DryRunAnalysis; rows: number } {
  if (!flags.model || !flags.data) throw new BadInputError('cli.bad-flag', 'init: give --model m.onnx and --data d.csv');
  if (flags.task !== undefined && !(TASKS as readonly string[]).includes(flags.task)) {
    throw new BadInputError('cli.bad-flag', `--task ${flags.task}: expected one of ${TASKS.join(', ')}`);
  }
  if (flags.analysis !== 'groups' && flags.analysis !== 'attention') throw new BadInputError('cli.bad-flag', `--analysis ${flags.analysis}: expected groups or attention`);
  const rows = Number(flags.rows);
  if (!Number.isInteger(rows) || rows < 1) throw new BadInputError('cli.bad-flag', `--rows ${flags.rows}: expected a positive integer`);
  return { model: resolve(flags.model), data: resolve(flags.data), ...(flags.task ? { task: flags.task as Task } : {}), analysis: flags.analysis, rows };
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
    .option('--analysis <name>', 'analysis the spec must run: groups | attention', 'groups')
    .option('--rows <n>', 'rows of the dry run', '32')
    .option('--ep <providers>', 'execution providers of the dry run', 'auto')
    .option('--force', 'replace an existing spec file')
    .action(async (flags: InitFlags) => {
      const { model, data, task, analysis, rows } = checkFlags(flags);
      const out = resolve(flags.out ?? defaultSpecFile(model));
      if (existsSync(out) && !flags.force) throw new BadInputError('cli.bad-flag', `${out}: already exists; pass --force to replace it, or --out for another file`, { file: out });
      const groups = flags.group?.split(',').map((g) => g.trim()).filter(Boolean);
      const hints = { ...(flags.label ? { label: flags.label } : {}), ...(groups ? { groups } : {}), ...(task ? { task } : {}) };
      const inputs: Record<string, InputMapping> = {};
      for (const flag of flags.input ?? []) {
        const [name, m] = parseInputFlag(flag);
        inputs[name] = isNpyMapping(m) ? { npy: resolve(m.npy) } : isTextMapping(m) ? { ...m, tokenizer: resolve(m.tokenizer) } : m;
      }
      const { suggestions: s } = await suggestForFiles(model, data, hints);
      const lm = s.tasks[0]?.value === 'language_model';
      const problems = [
        ...s.problems.filter((p) => !s.inputs.some((i) => inputs[i.input] && p.startsWith(`${i.described}:`))),
        ...(analysis === 'attention' ? [] : lm ? ['the model is a language model ([B, T, V] output): a groups analysis needs a classifier or regressor; use --analysis attention'] : []),
      ].filter((p) => analysis !== 'attention' || !/^no column (fits as|can be) the label/.test(p));
      const open = s.inputs.filter((i) => i.choose && !inputs[i.input]).map((i) => `${i.described}: ${i.choose!.candidates.length} numeric columns fit (${i.choose!.candidates.join(', ')}); choose ${i.choose!.width} with --input ${i.input}=${i.choose!.candidates.slice(0, i.choose!.width).join(',')} (in the order the model expects)`);
      if (problems.length > 0 || open.length > 0) {
        throw new BadInputError('init.no-spec', `init: no runnable spec can be inferred from ${model} and ${data}:\n  ${[...problems, ...open].join('\n  ')}`, { file: data });
      }
      const spec = specFromSuggestions(s, { model, data, specPath: out }, { ...hints, inputs });
      const written = spec;
      process.stdout.write(`${formatSuggestions(s, written, { label: hints.label !== undefined, task: task !== undefined, groups: groups !== undefined, inputs })}\n`);
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
