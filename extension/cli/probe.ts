/** `bias-inspector probe --spec llm.bias.json`: language-model probes (FORMULAS.md §H, DESIGN.md §5). */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { BadInputError, loadSpec, parseProviderSetting, runProbe, runProbeAttention } from '../core/analyze';
import type { ProbeReport } from '../protocol/probe';
import { formatAttentionReport } from './formatAttention';
import { writeHtmlReport } from '../core/report';
import type { ProbeGroupEntry } from '../protocol/probe';
import { table } from './format';
import { groupLabel } from './formatGroups';
import { checkOutputs, specInputs, writeJson } from './output';
import { stderrProgress } from './progress';

interface ProbeFlags { attentionHtml?: string; attentionJson?: string; spec?: string; ep: string; bootstrap?: string; seed?: string; batchSize?: string; samples?: string; json?: string | boolean; html?: string }

function intFlag(value: string | undefined, name: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new BadInputError('cli.bad-flag', `${name} ${value}: expected an integer ≥ ${min}`);
  return n;
}

const num = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined ? '' : Number.isFinite(v) ? v.toFixed(digits) : String(v));
const pct = (v: number | null | undefined): string => (v === null || v === undefined ? '' : Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : String(v));
const interval = (ci: readonly [number, number] | null): string => (ci ? `[${num(ci[0])}, ${num(ci[1])}]` : '');

const SCORE_NAMES = { skew: 's = logP(yes) − logP(no)', logp_yes: 'logP(yes set)', logp_no: 'logP(no set)', logp_text: 'logP(template tokens)' } as const;

/** The terminal table of a probe report: per group, then (counterfactual) pairs and flipping templates. */
export function formatProbeReport(report: ProbeReport): string {
  const p = report.probe;
  const lines: string[] = [];
  lines.push(`Probe (${p.kind}): ${report.model.path} on ${report.data.path}`);
  lines.push(`  ${p.prompts} prompts, ${p.sequences} sequences, score ${SCORE_NAMES[p.score]}, EP ${report.runtime.used}`);
  if (p.pastInputs.length > 0) lines.push(`  fed with past length 0: ${p.pastInputs.join(', ')}`);
  if (p.context) lines.push(`  context ${p.context.tokens} tokens (${p.context.source})`);
  const labelled = p.byGroup.some((g) => g.accuracy !== undefined);
  const row = (name: string, g: Omit<ProbeGroupEntry, 'group'>): string[] => [
    name, String(g.count), pct(g.selection_rate), num(g.meanScore), interval(g.ci),
    ...(labelled ? [pct(g.accuracy), pct(g.tpr), pct(g.fpr)] : []),
  ];
  lines.push('', `Per group${p.bootstrap ? ` (95% bootstrap intervals, ${p.bootstrap.replicates} replicates)` : ''}:`);
  lines.push(indent(table([
    ['group', p.kind === 'yesno' ? 'rows' : 'prompts', 'selection rate', 'mean score', 'interval', ...(labelled ? ['accuracy', 'TPR', 'FPR'] : [])],
    row('overall', p.overall),
    ...p.byGroup.map((g) => row(`${groupLabel(g.group)}${g.small ? ' (small)' : ''}`, g)),
  ])));
  if (p.byGroup.length > 1) {
    const sorted = [...p.byGroup].sort((a, b) => a.meanScore - b.meanScore);
    const low = sorted[0]!;
    const high = sorted.at(-1)!;
    lines.push(`  lowest mean score: ${groupLabel(low.group)} ${num(low.meanScore)} vs ${groupLabel(high.group)} ${num(high.meanScore)} (difference ${num(high.meanScore - low.meanScore)})`);
    if (low.selection_rate !== null && high.selection_rate !== null) {
      const rates = p.byGroup.map((g) => g.selection_rate ?? Number.NaN);
      lines.push(`  selection-rate difference (demographic parity): ${num(Math.max(...rates) - Math.min(...rates))}`);
    }
  }
  if (p.pairs && p.pairs.length > 0) {
    lines.push('', 'Pairs over templates (Δ = score(g) − score(h)):');
    lines.push(indent(table([
      ['g', 'h', 'mean Δ', 'interval', 'flips', 'flip share'],
      ...p.pairs.map((pair) => [groupLabel(pair.groups[0]), groupLabel(pair.groups[1]), num(pair.meanDelta), interval(pair.ci), pair.flips === null ? '' : String(pair.flips), pct(pair.flipShare)]),
    ])));
    const flipping = [...new Set(p.pairs.flatMap((pair) => pair.templates))].sort((a, b) => a - b);
    if (flipping.length > 0 && p.templates) {
      const names = Object.keys(p.terms ?? {});
      lines.push('', `Templates whose preferred answer flips (${flipping.length}):`);
      lines.push(indent(table([
        ['row', 'template', ...names],
        ...flipping.slice(0, 20).map((i) => {
          const t = p.templates![i]!;
          return [String(t.row), t.template, ...names.map((n) => num(t.scores[n]))];
        }),
      ])));
      if (flipping.length > 20) lines.push(`  … and ${flipping.length - 20} more (--json has them all)`);
    }
  }
  return lines.join('\n');
}

function indent(text: string): string {
  return text.split('\n').map((l) => `  ${l}`).join('\n');
}

export function registerProbe(program: Command): void {
  program.command('probe')
    .description('language-model probes: yes/no skew per group and counterfactual templates (FORMULAS.md §H)')
    .requiredOption('--spec <file>', 'analysis spec (*.bias.json) with a "probe" field and outputKind "language_model"')
    .option('--ep <providers>', 'execution providers: auto | cpu | webgpu | cuda | dml | coreml (comma list)', 'auto')
    .option('--bootstrap <n>', 'bootstrap replicates for 95% intervals (default: the spec\'s, else 0)')
    .option('--seed <n>', 'bootstrap seed')
    .option('--batch-size <n>', 'sequences per forward pass', '64')
    .option('--samples <n>', 'probe at most this many data rows (yes/no probes)')
    .option('--json [file]', 'write the report as JSON (stdout when no file or "-")')
    .option('--html <file>', 'write a self-contained HTML report')
    .option('--attention-html <file>', 'also run the attention analysis over the probe\'s prompts (heatmaps per layer and head, per group) and write its HTML report')
    .option('--attention-json <file>', 'the same attention report as JSON')
    .action(async (flags: ProbeFlags) => {
      const spec = await loadSpec(resolve(flags.spec ?? ''));
      const inputs = specInputs(spec);
      if (spec.probe?.kind === 'counterfactual') inputs.push(spec.probe.templates);
      if (spec.probe?.tokenizer) inputs.push(spec.probe.tokenizer);
      checkOutputs({ '--json': flags.json, '--html': flags.html, '--attention-html': flags.attentionHtml, '--attention-json': flags.attentionJson }, inputs);
      const bootstrap = intFlag(flags.bootstrap, '--bootstrap');
      const seed = intFlag(flags.seed, '--seed');
      const samples = intFlag(flags.samples, '--samples', 1);
      const report = await runProbe(spec, {
        providers: parseProviderSetting(flags.ep, '--ep'),
        batchSize: intFlag(flags.batchSize, '--batch-size', 1) ?? 64,
        ...(bootstrap !== undefined ? { bootstrap } : {}),
        ...(seed !== undefined ? { seed } : {}),
        ...(samples !== undefined ? { maxRows: samples } : {}),
        onProgress: stderrProgress('probe'),
      });
      const toStdout = writeJson(flags.json, report);
      if (flags.html) { writeHtmlReport(flags.html, report); process.stderr.write(`wrote ${flags.html}\n`); }
      if (!toStdout) process.stdout.write(`${formatProbeReport(report)}\n`);
      if (flags.attentionHtml || flags.attentionJson) {
        const attention = await runProbeAttention(spec, {
          providers: parseProviderSetting(flags.ep, '--ep'),
          ...(samples !== undefined ? { maxRows: samples } : {}),
          onProgress: stderrProgress('attention'),
        });
        if (flags.attentionJson) writeJson(flags.attentionJson, attention);
        if (flags.attentionHtml) { writeHtmlReport(flags.attentionHtml, attention); process.stderr.write(`wrote ${flags.attentionHtml}\n`); }
        if (!toStdout) process.stdout.write(`\n${formatAttentionReport(attention)}\n`);
      }
    });
}
