/**
 * The unit of work of the quantization worker (fake quantization + tensor error of one tensor in
 * several formats) and the messages that carry it. Binary data crosses as transferred buffers.
 */
import { InspectorError } from '../errors';
import type { ErrorKind } from '../errors';
import { tensorError } from './error';
import type { TensorError } from './error';
import type { FormatId } from './formats';
import { fakeQuantize } from './quantize';
import type { QuantizeOptions } from './quantize';

/** One tensor to quantize in `formats`. */
export interface QuantJob {
  tensor: string;
  data: Float32Array;
  shape: number[];
  formats: FormatId[];
  options: Omit<QuantizeOptions, 'tensor'>;
  /** Also return x̂ per format (for histograms); otherwise only the metrics travel back. */
  returnValues: boolean;
}

export interface QuantFormatResult {
  format: FormatId;
  error: TensorError;
  values?: Float32Array;
}

/** Result of a job: the original data (handed back, since it was transferred) and one entry per format. */
export interface QuantJobResult {
  tensor: string;
  data: Float32Array;
  results: QuantFormatResult[];
}

/** Host -> worker. */
export type QuantWorkerRequest = { type: 'run'; id: number; job: QuantJob };

/** Worker -> host: a result, or the error the job threw (kind and code kept). */
export type QuantWorkerReply =
  | { type: 'result'; id: number; result: QuantJobResult }
  | { type: 'error'; id: number; code: string; kind: ErrorKind; message: string };

/** Runs a job synchronously. */
export function runQuantJob(job: QuantJob): QuantJobResult {
  const results: QuantFormatResult[] = job.formats.map((format) => {
    const values = fakeQuantize(job.data, job.shape, format, { ...job.options, tensor: job.tensor });
    const error = tensorError(job.data, values, job.tensor);
    return job.returnValues ? { format, error, values } : { format, error };
  });
  return { tensor: job.tensor, data: job.data, results };
}

/** The buffers a result can transfer back. */
export function resultTransferList(result: QuantJobResult): ArrayBuffer[] {
  const list: ArrayBuffer[] = [];
  for (const a of [result.data, ...result.results.map((r) => r.values)]) {
    if (a !== undefined && a.buffer instanceof ArrayBuffer && !list.includes(a.buffer)) list.push(a.buffer);
  }
  return list;
}

/** Handles one request: the reply and what it transfers. Never throws. */
export function handleQuantRequest(req: QuantWorkerRequest): { reply: QuantWorkerReply; transfer: ArrayBuffer[] } {
  try {
    const result = runQuantJob(req.job);
    return { reply: { type: 'result', id: req.id, result }, transfer: resultTransferList(result) };
  } catch (e) {
    const err = e instanceof InspectorError ? e : null;
    const message = e instanceof Error ? e.message : String(e);
    return {
      reply: { type: 'error', id: req.id, code: err?.code ?? 'quant.worker-error', kind: err?.kind ?? 'failure', message },
      transfer: [],
    };
  }
}
