/**
 * Attention of a decoder language model over a probe's own prompts (issue 13): the prompts the
 * probe scores (each data row's filled prompt, or every template filled with every group's terms)
 * tokenised with the model's tokenizer, run through the attention analysis (heatmaps per layer
 * and head, per group). The prompts go to a temporary JSONL file (ids, tokens, group columns)
 * removed afterwards; the model and the data are only read.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BadInputError, throwIfAborted } from '../errors';
import { loadTokenizer, openTable, resolveSpec, type ResolvedSpec } from '../data';
import { loadModel, summarizeModel } from '../onnx';
import { languageModelFeeds } from '../onnx/language-model';
import { runAttention, type AttentionRunOptions } from './attention';
import type { AttentionReport } from '../../protocol/attention';

const PLACEHOLDER = /\{([^{}]+)\}/g;

interface PromptRow { readonly text: string; readonly groups: Readonly<Record<string, string | null>> }

/** The probe's prompts with their group values (at most `limit` data rows for a yes/no probe). */
async function probePrompts(spec: ResolvedSpec, limit: number, signal: AbortSignal | undefined): Promise<{ rows: PromptRow[]; groups: string[] }> {
  const probe = spec.probe;
  if (!probe) throw new BadInputError('spec.probe', `${spec.specPath || 'the spec'}: field "probe": is required`, { file: spec.specPath });
  const rows: PromptRow[] = [];
  if (probe.kind === 'counterfactual') {
    const slot = probe.slot ?? '{group}';
    const column = probe.column ?? 'template';
    const table = await openTable(probe.templates);
    try {
      await table.findColumns?.([column]);
      for await (const batch of table.batches()) {
        const cells = batch.column(column);
        for (let i = 0; i < batch.length; i++) {
          const template = cells[i];
          if (typeof template !== 'string' || !template.includes(slot)) {
            throw new BadInputError('probe.no-slot', `${probe.templates}: row ${batch.rowNumbers[i]}, column "${column}": the template has no slot ${JSON.stringify(slot)} (field "probe.slot")`, { file: probe.templates });
          }
          for (const [name, terms] of Object.entries(probe.terms)) {
            for (const term of terms) rows.push({ text: template.split(slot).join(term), groups: { group: name } });
          }
        }
      }
    } finally {
      await table.close();
    }
    return { rows, groups: ['group'] };
  }
  const columns = [...new Set([...probe.prompt.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
  const table = await openTable(spec.data);
  try {
    await table.findColumns?.([...columns, ...spec.groups]);
    const missing = [...columns, ...spec.groups].filter((c) => !table.columns.includes(c));
    if (missing.length > 0) throw new BadInputError('missing-column', `${spec.data}: no column ${missing.map((c) => `"${c}"`).join(', ')} (fields "probe.prompt" and "groups" of ${spec.specPath})`, { file: spec.data });
    for await (const batch of table.batches()) {
      throwIfAborted(signal);
      const cells = Object.fromEntries([...columns, ...spec.groups].map((c) => [c, batch.column(c)]));
      for (let i = 0; i < batch.length && rows.length < limit; i++) {
        const text = probe.prompt.replace(PLACEHOLDER, (_m, c: string) => {
          const v = cells[c]![i];
          return typeof v === 'string' ? v : v === null || v === undefined ? '' : JSON.stringify(v);
        });
        const groups = Object.fromEntries(spec.groups.map((g) => {
          const v = cells[g]![i];
          return [g, v === null || v === undefined || v === '' ? null : String(v)];
        }));
        rows.push({ text, groups });
      }
      if (rows.length >= limit) break;
    }
  } finally {
    await table.close();
  }
  return { rows, groups: [...spec.groups] };
}

/** Runs the attention analysis over the probe's prompts (default: the first 1000). */
export async function runProbeAttention(spec: ResolvedSpec, options: AttentionRunOptions): Promise<AttentionReport> {
  if (!spec.model) throw new BadInputError('spec.model', `${spec.specPath || 'the spec'}: field "model": a probe needs the language model`, { file: spec.specPath });
  const loaded = await loadModel(spec.model);
  const summary = summarizeModel(loaded);
  const lm = languageModelFeeds(loaded.proto, summary.inputs, summary.outputs, spec.output ?? summary.outputs[0]?.name ?? '', spec.model);
  const tokenizer = await loadTokenizer(spec.probe?.tokenizer ?? join(dirname(spec.model), 'tokenizer.json'));
  const { rows, groups } = await probePrompts(spec, options.maxRows && options.maxRows > 0 ? options.maxRows : 1000, options.signal);
  const dir = await mkdtemp(join(tmpdir(), 'bias-inspector-probe-'));
  try {
    const data = join(dir, 'prompts.jsonl');
    const lines = rows.map((r) => {
      const { ids, tokens } = tokenizer.encode(r.text, undefined);
      return JSON.stringify({ ids, tokens, ...r.groups });
    });
    await writeFile(data, `${lines.join('\n')}\n`);
    const attentionSpec = await resolveSpec({
      model: spec.model, data, task: 'binary', inputs: { [lm.ids.name]: { column: 'ids', padId: tokenizer.padId } }, groups,
      attention: { tokens: 'tokens' },
    }, { baseDir: dir });
    const report = await runAttention(attentionSpec, options);
    // No spec to re-run single samples from: the prompts file is gone (the sample view says so).
    // Places name the prompt (its index among the probe's prompts), not the temporary file.
    const where = report.attention.rowSums.where?.replace(/^row (\d+) of .*?, layer/, (_m, row: string) => `probe prompt ${Number(row) - 1} (${JSON.stringify(rows[Number(row) - 1]?.text ?? '')}), layer`);
    return {
      ...report, spec: '',
      data: { ...report.data, path: `${spec.probe?.kind === 'counterfactual' ? spec.probe.templates : spec.data} (probe prompts)` },
      attention: { ...report.attention, rowSums: { ...report.attention.rowSums, ...(where ? { where } : {}) } },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
