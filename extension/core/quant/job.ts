/**
 * The unit of work of the quantization worker (fake quantization + tensor error of one tensor in
 * several formats) and its method on the worker's RPC channel (protocol/rpc.ts). Binary data
 * crosses as transferred buffers.
 */
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

/** The worker's one method: a job in, its result out (errors cross as the engine's code and kind). */
export type QuantWorkerMethods = {
  run: [QuantJob, QuantJobResult];
};

/** Runs a job synchronously. */
export function runQuantJob(job: QuantJob): QuantJobResult {
  const results: QuantFormatResult[] = job.formats.map((format) => {
    // Without returnValues, x̂ is only reduced to the error here: a transient view, no copy.
    const values = fakeQuantize(job.data, job.shape, format, { ...job.options, tensor: job.tensor, transient: !job.returnValues });
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
