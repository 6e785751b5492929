/**
 * Worker-thread entry that runs one analysis for the VS Code host (see protocol/worker.ts).
 * Bundled to dist/workers/analysis.worker.js. Progress goes back as notifications; the report
 * (or a typed error) is the reply. ArrayBuffers in a result are transferred.
 */
import { parentPort } from 'node:worker_threads';
import { RpcEndpoint, type RpcMessage } from '../../protocol/rpc';
import type { AnalysisWorkerMethods, AnalysisWorkerNotes, WorkerRequest } from '../../protocol/worker';
import { loadSpec } from '../data';
import { runGroups } from './groups';
import { attentionForSample, runAttention } from './attention';
import { runQuantAnalysis } from './quant';
import { runCompare, runGroupsWithReference } from './compare';
import { withBudgets } from './budgets';

function transferables(value: unknown, found: ArrayBuffer[] = []): ArrayBuffer[] {
  if (value instanceof ArrayBuffer) found.push(value);
  else if (Array.isArray(value)) value.forEach((v) => transferables(v, found));
  else if (value && typeof value === 'object' && !ArrayBuffer.isView(value)) Object.values(value).forEach((v) => transferables(v, found));
  return found;
}

const port = parentPort;
if (!port) throw new Error('analysis.worker must run in a worker thread');

const rpc: RpcEndpoint<Record<never, [unknown, unknown]>, AnalysisWorkerMethods, AnalysisWorkerNotes, Record<never, unknown>> = new RpcEndpoint({
  post: (message: RpcMessage) => port.postMessage(message, message.kind === 'reply' && message.ok ? transferables(message.result) : []),
  onRequest: (_method, request) => run(request as WorkerRequest),
  timeoutMs: 0,
});
port.on('message', (message: unknown) => rpc.handle(message));

const onProgress = (fraction: number, message: string): void => rpc.notify('progress', { fraction, message });

async function run(request: WorkerRequest): Promise<unknown> {
  const s = request.settings;
  const common = { providers: s.providers, ...(s.threads ? { threads: s.threads } : {}) };
  switch (request.kind) {
    case 'groups': {
      const spec = await loadSpec(request.specPath);
      const options = {
        ...common, batchSize: s.batchSize, maxRows: s.maxRows, minGroupSize: spec.minGroupSize ?? s.minGroupSize,
        bootstrap: spec.bootstrap ?? request.bootstrap, seed: spec.seed ?? request.seed, onProgress,
      };
      // the spec's referenceModel makes groups a comparison (DESIGN.md §3)
      const report = spec.referenceModel && !spec.predictions ? await runGroupsWithReference(spec, options) : await runGroups(spec, options);
      return withBudgets(report, spec);
    }
    case 'compare': {
      const spec = await loadSpec(request.specPath);
      return withBudgets(await runCompare(spec, {
        ...common, batchSize: s.batchSize, maxRows: s.maxRows, minGroupSize: spec.minGroupSize ?? s.minGroupSize,
        bootstrap: spec.bootstrap ?? request.bootstrap, seed: spec.seed ?? request.seed, onProgress,
        target: { kind: 'model-b', model: request.modelB },
      }), spec);
    }
    case 'attention': {
      const spec = await loadSpec(request.specPath);
      return withBudgets(await runAttention(spec, { ...common, minGroupSize: spec.minGroupSize ?? s.minGroupSize, ...(s.maxRows > 0 ? { samples: s.maxRows } : {}), onProgress }), spec);
    }
    case 'attentionSample':
      return attentionForSample(await loadSpec(request.specPath), request.row, common);
    case 'quant': {
      const spec = request.specPath ? await loadSpec(request.specPath) : undefined;
      const report = await runQuantAnalysis(request.modelPath, {
        ...common, batchSize: s.batchSize, workerPath: request.quantWorkerPath, onProgress,
        ...(spec ? { spec } : {}),
        ...(request.floatPath ? { float: request.floatPath } : {}),
        ...(spec && request.sensitivity ? { sensitivity: true, maxRows: s.maxRows || 2000 } : {}),
      });
      return spec ? withBudgets(report, spec) : report;
    }
  }
}
