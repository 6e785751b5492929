import type { Command } from 'commander';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { BadInputError, loadSpec, parseProviderSetting, runAttention, runCompare, runGroups, runProbe, runQuant, runSlices, runThresholds, withBudgets, type RunOverrides } from '../core/analyze';
import { inspectModel } from '../core/onnx';
import { formatProbeReport } from './probe';
import { formatBudgets, formatCompare } from './formatCompare';
import { formatAttentionReport } from './formatAttention';
import { formatQuantization } from './formatQuant';
import { workerScript } from './quant';
import { aggregationWorker } from './attention';
import { inspectReport, writeHtmlReport } from '../core/report';
import { formatSummary } from './format';
import { formatGroupsReport } from './formatGroups';
import { printText, writeJson } from './output';
import { formatSlicesReport, formatThresholdsReport } from './formatSlices';

/** The demo workspace: `--examples`, else ./examples, else the one next to the CLI bundle. */
function findExamples(explicit: string | undefined): string {
  const candidates = explicit ? [resolve(explicit)] : [resolve('examples'), resolve(__dirname, '..', 'examples')];
  const found = candidates.find((dir) => existsSync(dir));
  if (!found) throw new BadInputError('cli.no-examples', `demo: no examples folder (looked in ${candidates.join(', ')})`);
  return found;
}

/**
 * Analyses that run on a demo spec, through the same entry points as the commands (same
 * defaults: bootstrap intervals on); each returns its text report, or null when it does not apply.
 */
type DemoStep = (specPath: string, out: string, overrides: RunOverrides) => Promise<string | null>;

function writeReports(out: string, specPath: string, kind: string, report: unknown): void {
  const stem = join(out, `${basename(specPath, '.bias.json')}.${kind}`);
  writeJson(`${stem}.json`, report);
  writeHtmlReport(`${stem}.html`, report);
}

const STEPS: readonly { name: string; run: DemoStep }[] = [
  {
    name: 'groups',
    run: async (specPath, out, overrides) => {
      const spec = await loadSpec(specPath);
      if (spec.probe) return null;
      const report = await runGroups(spec, overrides);
      writeReports(out, specPath, 'groups', report);
      return formatGroupsReport(report);
    },
  },
  {
    name: 'attention',
    run: async (specPath, out, overrides) => {
      const spec = await loadSpec(specPath);
      if (!spec.attention) return null;
      const report = await runAttention(spec, { ...overrides, ...aggregationWorker() });
      writeReports(out, specPath, 'attention', report);
      return formatAttentionReport(report);
    },
  },
  {
    name: 'slices',
    run: async (specPath, out, overrides) => {
      const spec = await loadSpec(specPath);
      if (!spec.slices || spec.probe) return null;
      const report = await runSlices(spec, overrides);
      writeReports(out, specPath, 'slices', report);
      return formatSlicesReport(report);
    },
  },
  {
    name: 'thresholds',
    run: async (specPath, out, overrides) => {
      const spec = await loadSpec(specPath);
      if (spec.probe || spec.task !== 'binary' || spec.groups.length === 0 || spec.referenceModel) return null;
      const report = await runThresholds(spec, { ...overrides, front: true });
      writeReports(out, specPath, 'thresholds', report);
      return formatThresholdsReport(report, true);
    },
  },
  {
    name: 'probe',
    run: async (specPath, out, overrides) => {
      const spec = await loadSpec(specPath);
      if (!spec.probe) return null;
      const report = await runProbe(spec, overrides);
      writeReports(out, specPath, 'probe', report);
      return formatProbeReport(report);
    },
  },
  {
    // A spec pairing two checkpoints (referenceModel = A): both on the same rows, per-group Δ.
    name: 'compare',
    run: async (specPath, out, overrides) => {
      const spec = await loadSpec(specPath);
      if (!spec.referenceModel) return null;
      const report = await withBudgets(await runCompare(spec, { ...overrides, target: { kind: 'referenceModel' } }), spec);
      writeReports(out, specPath, 'compare', report);
      return `${formatCompare(report.compare)}${report.budgets ? `\n\n${formatBudgets(report.budgets)}` : ''}`;
    },
  },
  {
    name: 'quant',
    run: async (specPath, out, overrides) => {
      const spec = await loadSpec(specPath);
      if (!spec.model) return null;
      // Per tensor only (no spec: the demo keeps the impact passes for `quant --spec`).
      const worker = workerScript();
      const report = await runQuant(undefined, { ...overrides, model: spec.model, ...(worker ? { workerPath: worker } : {}) });
      writeReports(out, specPath, 'quantization', report);
      return formatQuantization(report.model.path, report.quantization, 10);
    },
  },
];

export function registerDemo(program: Command): void {
  program.command('demo')
    .description('run every available analysis on the embedded demo models (examples/) and write JSON and HTML reports')
    .option('--examples <dir>', 'the demo workspace')
    .option('--out <dir>', 'where reports go', 'out/demo')
    .option('--ep <providers>', 'execution providers: auto | cpu | webgpu | cuda | dml | coreml (comma list; default auto)')
    .action(async (options: { examples?: string; out: string; ep?: string }) => {
      const overrides: RunOverrides = options.ep !== undefined ? { providers: parseProviderSetting(options.ep, '--ep') } : {};
      const dir = findExamples(options.examples);
      const models = readdirSync(dir).filter((f) => f.endsWith('.onnx')).sort();
      if (models.length === 0) throw new BadInputError('cli.no-examples', `demo: ${dir} holds no .onnx models`);
      if (existsSync(options.out) && !statSync(options.out).isDirectory()) throw new BadInputError('cli.bad-output', `--out ${options.out}: is a file; name a folder for the reports`, { file: resolve(options.out) });
      mkdirSync(options.out, { recursive: true });
      for (const file of models) {
        const summary = await inspectModel(join(dir, file));
        printText(`${formatSummary(summary)}\n\n`);
        writeJson(join(options.out, `${basename(file, '.onnx')}.inspect.json`), inspectReport(summary));
      }
      const specs = readdirSync(dir).filter((f) => f.endsWith('.bias.json')).sort();
      for (const spec of specs) {
        for (const step of STEPS) {
          const text = await step.run(join(dir, spec), options.out, overrides);
          if (text !== null) printText(`=== ${step.name}: ${spec}\n${text}\n\n`);
        }
      }
      printText(`Demo done: ${models.length} models inspected; ${STEPS.map((s) => s.name).join(', ')} run on ${specs.length} specs; reports in ${resolve(options.out)}\n`);
    });
}
