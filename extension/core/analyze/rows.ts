/**
 * One pass that keeps per-row results for analyses that need every row at once (slices,
 * thresholds): label, prediction, P(positive) (binary), per-sample loss, the sensitive groups, and
 * the raw cells of extra columns. Runs the model (spec mode) or reads a predictions file, with the
 * same encoder, batching and messages as the groups analysis.
 */
import { BadInputError, throttleProgress, type ProgressFn } from '../errors';
import { createInputEncoder, hasTypedColumns, numericCell, openTableShard, scoredOutputKind, scoringTask, type ResolvedSpec, type Shard, type TableReader } from '../data';
import { evaluateBatch } from '../metrics/batch';
import { reportModel } from '../report';
import type { ReportModel } from '../../protocol/report';
import type { RuntimeInfo } from '../../protocol/runtime';
import type { ProviderSetting } from '../runtime';
import { batchPositions, firstRows } from './groups';
import { prepareModel, runBatch } from './session';
import { SliceColumnCollector } from './sliceColumns';
import { collectProbeRows } from './probeRows';

export interface RowPassOptions {
  readonly providers: ProviderSetting;
  readonly batchSize?: number;
  readonly maxRows?: number;
  readonly threads?: number;
  /** Read only this shard's rows (docs/SHARDING.md §1); row numbers stay global. */
  readonly shard?: Shard;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressFn;
}

export interface RowPass {
  readonly model: ReportModel | null;
  readonly runtime: RuntimeInfo | null;
  readonly dataPath: string;
  /** Data rows read (used or skipped) and rows the encoder skipped. */
  readonly rows: number;
  readonly skippedRows: number;
  readonly skipReasons: Readonly<Record<string, number>>;
  /** Per used row: 1-based data row number. */
  readonly rowNumbers: Uint32Array;
  readonly labels: Float64Array;
  readonly pred: Float64Array;
  /** P(y = 1) (binary), the predicted value (regression); absent when only `pred` is known. */
  readonly score: Float64Array | null;
  /** Per-sample loss (NaN where undefined or unknown). */
  readonly loss: Float64Array;
  /** Sensitive column values per used row (null = missing), in the spec's order. */
  readonly groups: readonly (readonly (string | null)[])[];
  /** The extra columns per used row, stored compactly (numbers and/or dictionary codes). */
  readonly extra: Readonly<Record<string, SliceColumnCollector>>;
  /** Every column of the table (for default column choices and messages). */
  readonly columns: readonly string[];
}

class Growable {
  data: Float64Array;
  length = 0;
  constructor(capacity = 4096) { this.data = new Float64Array(capacity); }
  push(values: ArrayLike<number>): void {
    if (this.length + values.length > this.data.length) {
      const next = new Float64Array(Math.max(this.data.length * 2, this.length + values.length));
      next.set(this.data.subarray(0, this.length));
      this.data = next;
    }
    for (let i = 0; i < values.length; i++) this.data[this.length + i] = values[i]!;
    this.length += values.length;
  }
  done(): Float64Array { return this.data.slice(0, this.length); }
}

function checkColumns(table: TableReader, names: readonly string[], file: string, what: string): void {
  for (const name of names) {
    if (!table.columns.includes(name)) {
      throw new BadInputError('data.missing-column', `${file}: no column "${name}" (${what}); available columns: ${table.columns.join(', ')}`, { file });
    }
  }
}

/** Runs the model over the spec's data (or reads its predictions file) and keeps every row. */
export async function collectRows(spec: ResolvedSpec, extraColumns: readonly string[], options: RowPassOptions, what: string, maxValues = 1000): Promise<RowPass> {
  // A language-model probe spec: each row scored by the probe (P(yes) = sigmoid(s), probeRows.ts).
  if (spec.probe) return collectProbeRows(spec, extraColumns, options, what, maxValues);
  const task = scoringTask(spec, what);
  const outputKind = scoredOutputKind(spec, what);
  if (!spec.label) throw new BadInputError('spec.label', `${spec.specPath || 'the spec'}: field "label": ${what} needs the label column`, { file: spec.specPath });
  const progress = throttleProgress(options.onProgress);
  const predictions = spec.predictions;
  if (predictions && !predictions.score && !predictions.pred) {
    throw new BadInputError('spec.predictions', `${spec.specPath}: field "predictions": name a "score" column and/or a "pred" column`, { file: spec.specPath });
  }
  if (!predictions && !spec.model) throw new BadInputError('spec.model', `${spec.specPath}: field "model": a model is needed (or use "predictions")`, { file: spec.specPath });
  const prepared = predictions ? null : await prepareModel(spec.model!, {
    providers: options.providers,
    ...(options.threads ? { threads: options.threads } : {}),
    ...(spec.output ? { output: spec.output } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const file = predictions ? predictions.file : spec.data;
  progress(0, predictions ? 'reading predictions' : 'running the model');
  const table = await openTableShard(file, { batchRows: options.batchSize ?? (predictions ? 4096 : 256), ...(options.signal ? { signal: options.signal } : {}) }, options.shard);
  try {
    checkColumns(table, extraColumns, file, 'slice column');
    const encSpec: ResolvedSpec = predictions ? { ...spec, data: predictions.file, inputs: {} } : spec;
    const outputInfo = prepared?.summary.outputs.find((o) => o.name === prepared.output);
    const lastDim = outputInfo?.shape?.at(-1);
    const numClasses = task === 'multiclass' ? (typeof lastDim === 'number' && prepared ? lastDim : spec.classes?.length) : undefined;
    const encoder = await createInputEncoder(encSpec, prepared ? prepared.summary.inputs : [], table, numClasses ? { numClasses } : {});
    const rowNumbers: number[] = [];
    const labels = new Growable(); const pred = new Growable(); const score = new Growable(); const loss = new Growable();
    let hasScore = true;
    const groups: (string | null)[][] = spec.groups.map(() => []);
    const extra: Record<string, SliceColumnCollector> = Object.fromEntries(extraColumns.map((c) => [c, new SliceColumnCollector(c, maxValues)]));
    let rows = 0;
    const maxRows = options.maxRows ?? 0;
    for await (const full of table.batches()) {
      if (options.signal?.aborted) throw options.signal.reason;
      const batch = maxRows > 0 && rows + full.length > maxRows ? firstRows(full, maxRows - rows) : full;
      rows += batch.length;
      const { bytesRead, bytesTotal } = table.progress();
      progress(bytesTotal > 0 ? 0.9 * bytesRead / bytesTotal : 0, `${rows} rows`);
      const encoded = await encoder.encode(batch);
      if (encoded.rowsUsed > 0) {
        const y = encoded.labels ?? new Float64Array(encoded.rowsUsed);
        const position = batchPositions(batch.rowNumbers, encoded.rowNumbers);
        let columns: ReturnType<typeof evaluateBatch> | undefined;
        let predValues: Float64Array | undefined;
        if (prepared) {
          const outputs = await runBatch(prepared, encoded.feeds);
          const out = outputs[prepared.output];
          if (!out) throw new BadInputError('model.output-missing', `${spec.model}: the run returned no "${prepared.output}"`, { file: spec.model! });
          columns = evaluateBatch({
            data: out.data, dims: out.dims, outputKind, task, labels: y, loss: { name: spec.loss },
            tensor: prepared.output, file: spec.data, rowOffset: encoded.rowNumbers[0] ?? 0,
            ...(encoded.likelihood ? { likelihood: encoded.likelihood } : {}),
          });
        } else {
          const read = (column: string): Float64Array => {
            const values = new Float64Array(encoded.rowsUsed);
            if (hasTypedColumns(batch)) {
              const { values: numbers, status } = batch.numbers(column);
              for (let i = 0; i < values.length; i++) {
                const at = position[i]!;
                if (status[at] !== 0) throw new BadInputError('predictions.value', `${file}: row ${encoded.rowNumbers[i]}, column "${column}": expected a finite number (got ${JSON.stringify(batch.column(column)[at] ?? null)})`, { file });
                values[i] = numbers[at]!;
              }
              return values;
            }
            const cells = batch.column(column);
            for (let i = 0; i < values.length; i++) {
              const raw = cells[position[i]!];
              const cell = numericCell(raw);
              if (cell.kind !== 'number') throw new BadInputError('predictions.value', `${file}: row ${encoded.rowNumbers[i]}, column "${column}": expected a finite number (got ${JSON.stringify(raw ?? null)})`, { file });
              values[i] = cell.value;
            }
            return values;
          };
          const s = predictions!.score ? read(predictions!.score) : undefined;
          if (s && (task === 'binary' || task === 'regression')) {
            try {
              columns = evaluateBatch({ data: s, dims: [encoded.rowsUsed], outputKind: task === 'binary' ? 'probabilities' : 'regression', task: task, labels: y, loss: { name: spec.loss }, tensor: predictions!.score!, file, rowOffset: encoded.rowNumbers[0] ?? 0 });
            } catch (e) {
              // name the file: the batch evaluator knows rows, not files
              if (e instanceof BadInputError && e.code === 'probability-out-of-range') throw new BadInputError(e.code, `${file}: ${e.message.replace('output "', 'column "')}`, { file, cause: e });
              throw e;
            }
          }
          predValues = predictions!.pred ? read(predictions!.pred) : undefined;
        }
        const p = predValues ?? columns?.pred;
        if (!p) throw new BadInputError('spec.predictions', `${spec.specPath}: field "predictions": no prediction column`, { file: spec.specPath });
        labels.push(y); pred.push(p);
        loss.push(columns?.loss ?? new Float64Array(encoded.rowsUsed).fill(Number.NaN));
        if (columns?.score && (task === 'binary' || task === 'regression')) score.push(columns.score);
        else hasScore = false;
        for (let i = 0; i < encoded.rowsUsed; i++) rowNumbers.push(encoded.rowNumbers[i]!);
        spec.groups.forEach((g, k) => { const values = encoded.groups[g]!; for (const v of values) groups[k]!.push(v); });
        for (const c of extraColumns) extra[c]!.addBatch(batch, position, encoded.rowsUsed);
      }
      if (maxRows > 0 && rows >= maxRows) break;
    }
    const summary = encoder.finish();
    await encoder.close();
    // A shard may hold no rows of a small file: its state is empty, and the merge adds nothing.
    if (rowNumbers.length === 0 && !options.shard) throw new BadInputError('data.empty', `${file}: no rows to evaluate`, { file });
    return {
      model: prepared ? reportModel(prepared.summary) : null, runtime: prepared ? prepared.runtime : null, dataPath: file,
      rows: summary.rows, skippedRows: summary.skippedRows, skipReasons: summary.skipReasons,
      rowNumbers: Uint32Array.from(rowNumbers), labels: labels.done(), pred: pred.done(), score: hasScore ? score.done() : null,
      loss: loss.done(), groups, extra, columns: table.columns,
    };
  } finally {
    await table.close();
    await prepared?.session.release();
  }
}
