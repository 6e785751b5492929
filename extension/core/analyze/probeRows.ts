/**
 * Language-model probes as a binary classifier for the analyses that score predictions (issue 13,
 * FORMULAS.md §H "with labels every §B metric — so slices, thresholds and compare apply to it
 * too"). A labelled yes/no probe spec scores each data row through the probe's own path
 * (`scoreProbeRows` in probe.ts); each row then reads as a binary model's output whose logit is
 * the skew s = logP(yes set) − logP(no set):
 *
 * - prediction: positive when s > 0 (the probe's own prediction);
 * - score (thresholds, Brier, calibration): P(yes) = sigmoid(s) = P(yes set) / (P(yes set) +
 *   P(no set)), the model's probability of the yes answers renormalised over the two answer sets,
 *   so the threshold 0.5 is the probe's s > 0, and a threshold t is s > logit(t);
 * - loss: the spec's loss of that logit against the label.
 *
 * Slices and thresholds read these rows through `collectRows` (rows.ts), compare through
 * `passProbe` (a groups pass, as for any model). Only the scoring differs; the analyses are theirs.
 */
import type { ResolvedSpec } from '../data';
import { checkBootstrap } from '../metrics/groups';
import { PROBE_DEFAULTS, probeGroupsBuilder, scoreProbeRows } from './probe';
import { resolveRunOptions, type RunOverrides } from './options';
import type { GroupsPass, GroupsRunOptions } from './groups';
import type { RowPass, RowPassOptions } from './rows';
import { SliceColumnCollector } from './sliceColumns';

/** Grows a float64 column batch by batch. */
class Column {
  private data = new Float64Array(4096);
  length = 0;
  push(values: ArrayLike<number>): void {
    if (this.length + values.length > this.data.length) {
      const next = new Float64Array(Math.max(2 * this.data.length, this.length + values.length));
      next.set(this.data.subarray(0, this.length));
      this.data = next;
    }
    for (let i = 0; i < values.length; i++) this.data[this.length + i] = values[i]!;
    this.length += values.length;
  }
  done(): Float64Array { return this.data.slice(0, this.length); }
}

/** The row pass of slices and thresholds (rows.ts `collectRows`) for a labelled yes/no probe spec. */
export async function collectProbeRows(spec: ResolvedSpec, extraColumns: readonly string[], options: RowPassOptions, what: string, maxValues: number): Promise<RowPass> {
  const rowNumbers: number[] = [];
  const labels = new Column(); const pred = new Column(); const score = new Column(); const loss = new Column();
  const groups: (string | null)[][] = spec.groups.map(() => []);
  const extra: Record<string, SliceColumnCollector> = Object.fromEntries(extraColumns.map((c) => [c, new SliceColumnCollector(c, maxValues)]));
  const source = await scoreProbeRows(spec, what, {
    providers: options.providers, batchSize: options.batchSize ?? PROBE_DEFAULTS.batchSize, maxRows: options.maxRows ?? 0, threads: options.threads ?? 0,
  }, {
    ...(options.signal ? { signal: options.signal } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}), extraColumns,
  }, ({ batch, encoded, positions }, { labels: y, columns }) => {
    const used = encoded.rowsUsed;
    labels.push(y); pred.push(columns.pred); score.push(columns.score); loss.push(columns.loss);
    for (let i = 0; i < used; i++) rowNumbers.push(encoded.rowNumbers[i]!);
    spec.groups.forEach((g, k) => { const values = encoded.groups[g]!; for (let i = 0; i < used; i++) groups[k]!.push(values[i] ?? null); });
    for (const c of extraColumns) extra[c]!.addBatch(batch, positions, used);
  });
  return {
    model: source.model, runtime: source.runtime, dataPath: source.dataPath,
    rows: source.summary.rows, skippedRows: source.summary.skippedRows, skipReasons: source.summary.skipReasons,
    rowNumbers: Uint32Array.from(rowNumbers), labels: labels.done(), pred: pred.done(), score: score.done(), loss: loss.done(),
    groups, extra, columns: source.columns,
  };
}

/**
 * One pass of a labelled yes/no probe (the spec's model) over its data into a groups builder: the
 * comparison's side (FORMULAS.md §G) when the spec is a probe spec. `keep` keeps the per-row
 * columns (the paired bootstrap needs them).
 */
export async function passProbe(spec: ResolvedSpec, options: GroupsRunOptions, keep = false): Promise<GroupsPass> {
  checkBootstrap(typeof options.bootstrap === 'number' ? options.bootstrap : undefined);
  const run = resolveRunOptions(spec, options as RunOverrides, PROBE_DEFAULTS);
  const { builder, add } = probeGroupsBuilder(spec, keep || options.keepRows === true || run.bootstrap !== 0);
  const source = await scoreProbeRows(spec, 'the comparison', run, {
    ...(options.signal ? { signal: options.signal } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  }, (scored) => add(scored));
  return {
    builder, dataPath: source.dataPath, summary: source.summary, rowNumbers: builder.rowNumbers(),
    model: source.model, modelSummary: source.modelSummary, runtime: source.runtime,
  };
}
