/**
 * One measurement of the realistic-size benchmark (realistic.mjs), in a fresh process so that its
 * peak RSS is its own. Prints one JSON line: wall ms, CPU ms (all threads), peak RSS (VmHWM).
 *
 *   groups-ours  <spec> <batch> <rows>            runGroups end to end (load, read, encode, run,
 *                                                 metrics); batch 0 = runGroups' own default
 *   groups-raw   <spec> <batch> <rows> <threads>  onnxruntime on the model file, the same batches
 *                                                 encoded beforehand (threads 0 = onnxruntime's
 *                                                 default pool)
 *   attn-ours    <spec> <batch> <rows>            runAttention end to end (bundled aggregation worker)
 *   attn-raw     <spec> <batch> <rows> <threads>  the attention-exposed graph, encoded whole, same
 *                                                 batches encoded beforehand
 *   a 5th argument `refs` gives either raw run the graph with references to the weights in the file
 *   (as ours does for a large model) instead of the file / the whole encoded copy
 * rows 0 = every row of the spec's data; otherwise the first `rows` (--max-rows / --samples).
 *   quant        <model> <workers> [out]   analyzeWeights, every format, bundled quant worker; writes
 *                                          the tensors and their axes to `out` for the NumPy anchor
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Tensor } from 'onnxruntime-node';
import { runAttention } from '../../extension/core/analyze/attention';
import { firstRows, runGroups } from '../../extension/core/analyze/groups';
import { exposeAttention, findAttention } from '../../extension/core/attention/extract';
import { createInputEncoder, loadSpec, openTable, type ResolvedSpec } from '../../extension/core/data';
import { encodeModel, externalizeInitializers, loadModel, summarizeModel } from '../../extension/core/onnx';
import { analyzeWeights } from '../../extension/core/quant/analyze';
import { loadOrt, openSession } from '../../extension/core/runtime';
import { releaseBytes } from '../../extension/core/runtime/release';

const root = resolve(__dirname, '../..');

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function peakRssMiB(): number {
  const m = /VmHWM:\s*(\d+)\s*kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
}

/** The spec's batches encoded as runGroups/runAttention encode them. */
async function encodedBatches(spec: ResolvedSpec, model: string, batch: number, rows: number): Promise<Record<string, Tensor>[]> {
  const ort = loadOrt();
  const loaded = await loadModel(model);
  const inputs = summarizeModel(loaded).inputs;
  const table = await openTable(spec.data, { batchRows: batch });
  const encoder = await createInputEncoder(spec, inputs, table);
  const out: Record<string, Tensor>[] = [];
  let left = rows > 0 ? rows : Infinity;
  for await (const whole of table.batches()) {
    if (left <= 0) break;
    const b = whole.length > left ? firstRows(whole, left) : whole;
    left -= b.length;
    const e = await encoder.encode(b);
    out.push(Object.fromEntries(Object.entries(e.feeds).map(([k, t]) => [k, new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, [...t.dims])])));
  }
  await encoder.close();
  await table.close();
  return out;
}

async function main(): Promise<void> {
  const [mode = '', a = '', b = '', c = '', d = '', e = ''] = process.argv.slice(2);
  let t0 = performance.now();
  let c0 = cpuMs();
  let extra: Record<string, unknown>;
  if (mode === 'groups-ours' || mode === 'attn-ours') {
    const spec = await loadSpec(a);
    if (mode === 'groups-ours') {
      const report = await runGroups(spec, { providers: ['cpu'], ...(Number(b) > 0 ? { batchSize: Number(b) } : {}), ...(Number(c) > 0 ? { maxRows: Number(c) } : {}), bootstrap: 0 });
      extra = { rows: report.data.rows, threads: 'default' };
    } else {
      const worker = join(root, 'dist/workers/attention.worker.js');
      const report = await runAttention(spec, { providers: ['cpu'], ...(Number(b) > 0 ? { batchSize: Number(b) } : {}), ...(Number(c) > 0 ? { maxRows: Number(c) } : {}), ...(existsSync(worker) ? { workerPath: worker } : {}) });
      extra = { samples: report.attention.samples };
    }
  } else if (mode === 'groups-raw' || mode === 'attn-raw') {
    const spec = await loadSpec(a);
    const model = spec.model ?? '';
    const threads = Number(d);
    const batches = await encodedBatches(spec, model, Number(b), Number(c));
    let fetches: string[];
    let source: Uint8Array | string = model; // the attention-exposed copy is dropped with the child's exit
    let folder: string | undefined;
    // `refs`: the graph with references to the weights in the file (onnx/externalize.ts), as ours
    // gives onnxruntime a large model: the smallest memory onnxruntime itself needs for this pass.
    const refs = e === 'refs';
    if (mode === 'attn-raw' || refs) {
      const loaded = await loadModel(model);
      let proto = loaded.proto;
      if (mode === 'attn-raw') {
        const graph = findAttention(loaded.proto, model);
        proto = exposeAttention(loaded.proto, graph, [], model);
        fetches = graph.sites.map((s) => s.tensor);
      } else fetches = [spec.output ?? 'logits'];
      const external = refs ? externalizeInitializers(loaded, proto) : null;
      source = external ? external.bytes : encodeModel(proto);
      folder = external?.folder;
      // The file's JS bytes go before onnxruntime loads (a collection frees them only a turn later).
      await releaseBytes(loaded.bytes);
    } else fetches = [spec.output ?? 'logits'];
    (globalThis as { gc?: () => void }).gc?.();
    // The JS copy of the model (read for the encoder) is dropped before onnxruntime loads it, so
    // the peak RSS is onnxruntime's own (the child runs with --expose-gc).
    (globalThis as { gc?: () => void }).gc?.();
    // Timed from here: session creation (from the file for groups, as runGroups does) and the runs.
    t0 = performance.now();
    c0 = cpuMs();
    const { session } = await openSession(source, model, {
      providers: ['cpu'], ...(mode === 'attn-raw' ? { disableOptimizations: true } : {}), ...(threads > 0 ? { threads } : {}), ...(folder !== undefined ? { externalDataFolder: folder } : {}),
    });
    for (const feeds of batches) await session.run(feeds, fetches);
    await session.release();
    extra = { batches: batches.length, threads: threads > 0 ? threads : 'onnxruntime default', ...(refs ? { source: 'graph + references into the file' } : {}) };
  } else if (mode === 'quant') {
    const worker = join(root, 'dist/workers/quant.worker.js');
    const section = await analyzeWeights(a, { workers: Number(b), ...(existsSync(worker) ? { workerPath: worker } : {}) });
    const params = section.tensorInfo.reduce((s, t) => s + t.elements, 0);
    extra = { params, tensors: section.tensorInfo.length, formats: section.formats.length };
    // The tensors and their axes, for the NumPy anchor over the same tensors (quant_reference.py sweep).
    if (c) writeFileSync(c, JSON.stringify({ formats: section.formats, tensors: section.tensorInfo.map((t) => ({ name: t.name, source: t.source, shape: t.shape, channelAxis: t.channelAxis, blockAxis: t.blockAxis, blockFlattenTrailing: t.blockFlattenTrailing })) }));
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  const wall = performance.now() - t0;
  const cpu = cpuMs() - c0;
  process.stdout.write(`${JSON.stringify({ mode, wallMs: wall, cpuMs: cpu, peakRssMiB: peakRssMiB(), ...extra })}\n`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
