/**
 * Worker-thread entry that runs one analysis for the VS Code host (protocol/worker.ts). Bundled
 * to dist/workers/analysis.worker.js. The spec is loaded here and only here on the VS Code path;
 * each method calls the same `run<Analysis>` as the CLI with the host's explicit overrides.
 * Progress goes back as notifications; the report (or a typed error) is the reply. ArrayBuffers
 * in a result are transferred.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { RpcEndpoint, type NotificationMap, type RpcMessage } from '../../protocol/rpc';
import type { AnalysisWorkerMethods, AnalysisWorkerNotes } from '../../protocol/worker';
import { loadSpec } from '../data';
import { runGroups } from './groups';
import { runAttention, runAttentionSample } from './attention';
import { runQuant } from './quant';
import { dryRunSpec } from './dryRun';
import { runSlices } from './slices';
import { runThresholds } from './thresholds';
import { runProbe } from './probe';
import { runProbeAttention } from './probe-attention';
import { runCompare, runGroupsWithReference } from './compare';
import { withBudgets } from './budgets';

function transferables(value: unknown, found: ArrayBuffer[] = []): ArrayBuffer[] {
  if (value instanceof ArrayBuffer) found.push(value);
  else if (Array.isArray(value)) value.forEach((v) => transferables(v, found));
  else if (value && typeof value === 'object' && !ArrayBuffer.isView(value)) Object.values(value).forEach((v) => transferables(v, found));
  return found;
}

/** The quantization worker bundled next to this one (none when run from source). */
function quantWorker(): { workerPath: string } | Record<string, never> {
  const path = join(__dirname, 'quant.worker.js');
  return existsSync(path) ? { workerPath: path } : {};
}

const port = parentPort;
if (!port) throw new Error('analysis.worker must run in a worker thread');

const onProgress = (fraction: number, message: string): void => rpc.notify('progress', { fraction, message });

type Handlers = { readonly [M in keyof AnalysisWorkerMethods]: (params: AnalysisWorkerMethods[M][0]) => Promise<AnalysisWorkerMethods[M][1]> };

const handlers: Handlers = {
  slices: async ({ specPath, overrides }) => runSlices(await loadSpec(specPath), { ...overrides, onProgress }),
  thresholds: async ({ specPath, overrides, constraint, objective }) => runThresholds(await loadSpec(specPath), { ...overrides, constraint, objective, front: true, onProgress }),
  groups: async ({ specPath, overrides }) => {
    const spec = await loadSpec(specPath);
    // the spec's referenceModel makes groups a comparison (DESIGN.md §3)
    const report = spec.referenceModel && !spec.predictions ? await runGroupsWithReference(spec, { ...overrides, onProgress }) : await runGroups(spec, { ...overrides, onProgress });
    return withBudgets(report, spec);
  },
  compare: async ({ specPath, modelB, overrides }) => {
    const spec = await loadSpec(specPath);
    return withBudgets(await runCompare(spec, { ...overrides, onProgress, target: modelB === null ? { kind: 'referenceModel' } : { kind: 'model-b', model: modelB } }), spec);
  },
  attention: async ({ specPath, overrides }) => {
    const spec = await loadSpec(specPath);
    return withBudgets(await runAttention(spec, { ...overrides, onProgress }), spec);
  },
  attentionSample: async ({ specPath, row, overrides }) => runAttentionSample(await loadSpec(specPath), row, overrides),
  probe: async ({ specPath, overrides }) => runProbe(await loadSpec(specPath), { ...overrides, onProgress }),
  probeAttention: async ({ specPath, overrides }) => runProbeAttention(await loadSpec(specPath), { ...overrides, onProgress }),
  quant: async ({ modelPath, specPath, floatPath, sensitivity, overrides }) => {
    const spec = specPath ? await loadSpec(specPath) : undefined;
    const report = await runQuant(spec, {
      ...overrides, model: modelPath, onProgress, ...quantWorker(),
      ...(floatPath ? { float: floatPath } : {}),
      ...(spec && sensitivity ? { sensitivity: true } : {}),
    });
    return spec ? withBudgets(report, spec) : report;
  },
  dryRun: async ({ spec, baseDir, specPath, analysis, overrides }) => dryRunSpec(spec, { ...overrides, analysis, baseDir, specPath }),
};

function serve<M extends keyof AnalysisWorkerMethods>(method: M, params: AnalysisWorkerMethods[M][0]): Promise<AnalysisWorkerMethods[M][1]> {
  const handler: Handlers[M] = handlers[method];
  return handler(params);
}

const rpc: RpcEndpoint<Record<never, [unknown, unknown]>, AnalysisWorkerMethods, AnalysisWorkerNotes, NotificationMap> = new RpcEndpoint({
  post: (message: RpcMessage) => port.postMessage(message, message.kind === 'reply' && message.ok ? transferables(message.result) : []),
  onRequest: serve,
  timeoutMs: 0,
});
port.on('message', (message: unknown) => rpc.handle(message));
