/**
 * `bias-inspector init --analysis probe` (issues #16 and #13): a counterfactual language-model
 * probe spec. Asks nothing: --tokenizer, --templates or --prompt, --slot, --yes/--no and --term
 * override; the rest is suggested with the reason printed (the tokenizer next to the model whose
 * vocabulary fits, a templates table next to it, the " yes"/" no" answers). What cannot be
 * suggested (the group terms) is named with the flag to give, exit 2, nothing written.
 */
import { existsSync, rmSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import {
  BadInputError, DEFAULT_SLOT, commonSlots, dryRunSpec, parseProviderSetting, parseTerms, probeSpecFrom, suggestProbe, templateProblem, templateSources, termsProblem,
  loadTokenizer, writeSpec, writeTemplates, type AnswerPair, type ProbeChoices, type TemplateSource,
} from '../core/analyze';
import type { ModelSummary } from '../protocol/model';
import { table } from './format';

export interface ProbeInitFlags {
  tokenizer?: string; templates?: string; prompt?: string[]; slot?: string; yes?: string[]; no?: string[]; term?: string[];
  ep: string; rows: string; force?: boolean;
}

/** How to give each missing part. */
const FLAG_OF: Readonly<Record<string, string>> = {
  model: '--model with a language model (logits [batch, sequence, vocabulary])',
  tokenizer: '--tokenizer tokenizer.json (the model\'s)',
  templates: '--templates t.jsonl (a "template" column, each with the slot) or --prompt "the {group} … answer yes or no:" (repeatable)',
  terms: '--term F=woman,mother --term M=man,father',
};

/** `<out>.bias.json` -> `<out>.templates.jsonl`: where --prompt templates are written. */
export function templatesFileFor(out: string): string {
  return out.replace(/\.bias\.json$/i, '').replace(/\.json$/i, '') + '.templates.jsonl';
}

export async function initProbe(flags: ProbeInitFlags, model: string, summary: ModelSummary, out: string, rows: number): Promise<void> {
  if ((flags.yes === undefined) !== (flags.no === undefined)) throw new BadInputError('cli.bad-flag', 'init: give both --yes and --no (each repeatable), or neither for the suggested answers');
  if (flags.templates && flags.prompt) throw new BadInputError('cli.bad-flag', 'init: give --templates or --prompt, not both');
  let templates: TemplateSource | undefined;
  const prompts = flags.prompt ?? [];
  if (flags.templates) {
    const file = resolve(flags.templates);
    if (!existsSync(file)) throw new BadInputError('cli.bad-flag', `--templates ${flags.templates}: file not found`, { file });
    const sources = await templateSources(file, flags.slot);
    templates = sources.find((s) => s.column === 'template') ?? sources[0];
    if (!templates) throw new BadInputError('init.no-spec', `${file}: no column whose every row holds ${flags.slot ? `the slot ${flags.slot}` : 'a slot such as {group}'}`, { file });
  } else if (prompts.length > 0) {
    const slot = flags.slot ?? commonSlots(prompts)[0] ?? DEFAULT_SLOT;
    for (const p of prompts) {
      const problem = templateProblem(p, slot);
      if (problem) throw new BadInputError('cli.bad-flag', `--prompt: ${problem}`);
    }
    templates = { file: templatesFileFor(out), column: 'template', slot, count: prompts.length, example: prompts[0]! };
  }
  let terms: Record<string, string[]> | undefined;
  if (flags.term) {
    const parsed = parseTerms(flags.term);
    if ('problem' in parsed) throw new BadInputError('cli.bad-flag', `--term: ${parsed.problem}`);
    terms = parsed.terms;
  }
  const answers: AnswerPair | undefined = flags.yes && flags.no ? { yes: flags.yes, no: flags.no } : undefined;
  const choices: ProbeChoices = {
    ...(flags.tokenizer ? { tokenizer: resolve(flags.tokenizer) } : {}), ...(templates ? { templates } : {}), ...(answers ? { answers } : {}), ...(terms ? { terms } : {}),
  };
  if (choices.tokenizer && !existsSync(choices.tokenizer)) throw new BadInputError('cli.bad-flag', `--tokenizer ${flags.tokenizer}: file not found`, { file: choices.tokenizer });
  const s = await suggestProbe(summary, model, choices);

  const lines: string[][] = [];
  if (s.output) lines.push(['model', 'language model', s.output.reason]);
  const tokenizer = s.tokenizers[0];
  if (tokenizer) lines.push(['tokenizer', basename(tokenizer.value), flags.tokenizer ? `from the flag; ${tokenizer.reason}` : tokenizer.reason]);
  const source = s.templates[0];
  if (source) lines.push(['templates', `${basename(source.value.file)} "${source.value.column}"`, flags.prompt ? `from --prompt, written to ${basename(source.value.file)}` : flags.templates ? `from the flag; ${source.reason}` : source.reason]);
  if (source) lines.push(['slot', source.value.slot, flags.slot ? 'from the flag' : 'in every template']);
  const answer = s.answers[0];
  if (answer) lines.push(['answers', `yes ${answer.value.yes.map((a) => JSON.stringify(a)).join(' ')} / no ${answer.value.no.map((a) => JSON.stringify(a)).join(' ')}`, answers ? `from the flags; ${answer.reason}` : answer.reason]);
  if (terms) for (const [g, words] of Object.entries(terms)) lines.push(['terms', `${g}: ${words.join(', ')}`, 'from --term']);
  for (const t of s.tokenizers.slice(1)) lines.push(['tokenizer', basename(t.value), `${t.fits ? 'offered, not used' : 'does not fit'}: ${t.reason}`]);
  process.stdout.write(`${table(lines)}\n`);

  const problems = s.missing.map((m) => `${m.part}: ${m.reason}; give ${FLAG_OF[m.part] ?? 'it'}`);
  if (answer && !answer.fits) problems.push(`answers: ${answer.reason}; give --yes and --no`);
  const tokenizerPath = tokenizer?.fits ? tokenizer.value : undefined;
  if (tokenizer && !tokenizer.fits && !s.missing.some((m) => m.part === 'tokenizer')) problems.push(`tokenizer: ${basename(tokenizer.value)}: ${tokenizer.reason}; give ${FLAG_OF['tokenizer']}`);
  if (terms && tokenizerPath) {
    const problem = termsProblem(terms, { encoder: await loadTokenizer(tokenizerPath), path: tokenizerPath });
    if (problem) problems.push(`terms: ${problem}`);
  }
  if (problems.length > 0 || !tokenizerPath || !source || !answer || !terms) {
    throw new BadInputError('init.no-spec', `init: no runnable probe spec yet for ${model}:\n  ${problems.join('\n  ')}`, { file: model });
  }
  if (existsSync(out) && !flags.force) throw new BadInputError('cli.bad-flag', `${out}: already exists; pass --force to replace it, or --out for another file`, { file: out });
  const written: string[] = [];
  if (flags.prompt) {
    if (existsSync(source.value.file) && !flags.force) throw new BadInputError('cli.bad-flag', `${source.value.file}: already exists; pass --force to replace it`, { file: source.value.file });
    await writeTemplates(source.value.file, prompts);
    written.push(source.value.file);
  }
  const spec = probeSpecFrom({ tokenizer: tokenizerPath, templates: source.value, answers: answer.value, terms }, { model, specPath: out });
  const dry = await dryRunSpec(spec, { providers: parseProviderSetting(flags.ep, '--ep'), analysis: 'probe', baseDir: dirname(out), specPath: out, rows });
  if (!dry.ok) {
    for (const f of written) rmSync(f, { force: true });
    throw new BadInputError('init.dry-run', `init: the probe spec does not run (step "${dry.step}"): ${dry.message}\nnothing was written; fix it with ${FLAG_OF[dry.step] ?? (dry.step === 'answers' ? '--yes and --no' : 'the flags')}`, { file: out });
  }
  await writeSpec(out, spec);
  process.stdout.write(`checked: ${dry.message}\n${written.map((f) => `wrote ${f}\n`).join('')}wrote ${out}\n`);
}
