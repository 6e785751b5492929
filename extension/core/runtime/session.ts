/**
 * Inference sessions with provider fallback. The provider actually used and the reasons the
 * earlier ones were skipped are returned with the session, for the status bar and every report.
 */
import type { InferenceSession } from 'onnxruntime-node';
import { BadInputError, InspectorError } from '../errors';
import { escapeControl } from '../text';
import type { ExecutionProvider, RuntimeInfo } from '../../protocol/runtime';
import { loadOrt, nativeBinaryDir } from './loader';
import { providerPrecheck, requestedProviders, type ProviderSetting } from './providers';

export interface SessionOptions {
  readonly providers: ProviderSetting;
  /** Intra-op threads; 0 lets onnxruntime decide. */
  readonly threads?: number;
  /** Disable graph optimisations, so that no fusion removes a tensor we exposed as an output. */
  readonly disableOptimizations?: boolean;
  /**
   * false: the intra-op threads sleep between runs instead of spinning. For passes that keep
   * several sessions open and run them in turn (a comparison): an idle pool that spins takes the
   * cores from the session that runs and from the JavaScript thread.
   */
  readonly spinning?: false;
  /**
   * The folder the model's external-data references resolve against, for a model given as bytes
   * whose initializers refer to its file (onnx/externalize.ts).
   */
  readonly externalDataFolder?: string;
}

export interface OpenedSession {
  readonly session: InferenceSession;
  readonly info: RuntimeInfo;
}

function providerOption(provider: ExecutionProvider): InferenceSession.ExecutionProviderConfig {
  return provider;
}

/** Short, single-line reason from a provider's failure. */
function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split('\n').find((l) => l.trim().length > 0) ?? text;
  const match = /\] : \d+ : \w+ : (.*)$/.exec(line) ?? /(Failed to .*)$/.exec(line);
  return escapeControl((match?.[1] ?? line).slice(0, 200));
}

/** Length of a C++ signature `ret ns::f(args…) const ` at the start of `text` (0 when there is none). */
function signatureLength(text: string): number {
  const open = text.indexOf('(');
  if (open < 0 || /\s{2}|[.!?]\s/.test(text.slice(0, open))) return 0;
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) {
      const rest = /^\)(?: const)?\s*/.exec(text.slice(i));
      return i + (rest?.[0].length ?? 1);
    }
  }
  return 0;
}

/**
 * onnxruntime's reason for refusing a model, as one readable line: without the "Load model from
 * … failed:" prefix, the source location and C++ signature, newlines and control characters.
 */
export function ortFailureReason(error: unknown): string {
  let text = error instanceof Error ? error.message : String(error);
  text = text.replace(/^Load model from [\s\S]*? failed:\s*/, '');
  const location = /^\/?[\w./\\-]*onnxruntime[\w./\\-]*:\d+\s+/.exec(text);
  if (location) {
    text = text.slice(location[0].length);
    text = text.slice(signatureLength(text));
  }
  text = text.replace(/\s+/g, ' ').trim();
  const opset = /Opset (\d+) is under development[\s\S]*Current official support for domain (\S+) is till opset (\d+)/.exec(text);
  if (opset) text = `opset ${opset[1]} of ${opset[2]} is newer than this onnxruntime supports (up to opset ${opset[3]})`;
  text = text.replace(/^(?:Fatal error|Error|This is an invalid model\. Error|Invalid model\.)\s*:?\s*/i, '');
  const line = escapeControl(text);
  return line.length > 400 ? `${line.slice(0, 399)}…` : line || 'no reason given';
}

/** A model onnxruntime refuses to load on the CPU provider: the model's fault, bad input (exit 2). */
function modelRejected(label: string, file: string | undefined, version: string, reason: string, cause: unknown): BadInputError {
  return new BadInputError('model.rejected', `${label}: onnxruntime ${version} cannot load this model: ${reason}`, { ...(file ? { file } : {}), cause });
}

/**
 * Creates a session from model bytes (or a path), trying providers in order. Throws when every
 * provider failed, with all the reasons.
 */
export async function openSession(model: Uint8Array | string, label: string, options: SessionOptions): Promise<OpenedSession> {
  const ort = loadOrt();
  const requested = requestedProviders(options.providers);
  const binaryDir = nativeBinaryDir();
  const skipped: string[] = [];
  let cpuFailure: unknown;
  const folderConfig = options.externalDataFolder !== undefined ? { model_external_initializers_file_folder_path: options.externalDataFolder } : {};
  for (const provider of requested) {
    const reason = providerPrecheck(provider, binaryDir);
    if (reason) {
      skipped.push(reason);
      continue;
    }
    const config: Record<string, unknown> = {
      ...(options.spinning === false ? { intra_op: { allow_spinning: '0' } } : {}),
      ...folderConfig,
    };
    const sessionOptions: InferenceSession.SessionOptions = {
      executionProviders: [providerOption(provider)],
      graphOptimizationLevel: options.disableOptimizations ? 'disabled' : 'all',
      ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
      ...(Object.keys(config).length > 0 ? { extra: { session: config } } : {}),
    };
    try {
      const session = typeof model === 'string'
        ? await ort.InferenceSession.create(model, sessionOptions)
        : await ort.InferenceSession.create(model, sessionOptions);
      const info: RuntimeInfo = {
        requested,
        used: provider,
        ...(skipped.length > 0 ? { fallbackReason: skipped.join('; ') } : {}),
        ortVersion: ort.env.versions.node ?? 'unknown',
      };
      return { session, info };
    } catch (error) {
      if (provider === 'cpu') cpuFailure = error;
      skipped.push(`${provider}: ${firstLine(error)}`);
    }
  }
  const version = ort.env.versions.node ?? 'unknown';
  const file = typeof model === 'string' ? model : undefined;
  // The CPU provider runs every valid model: when it refuses one, the model is at fault.
  if (cpuFailure !== undefined) throw modelRejected(label, file, version, ortFailureReason(cpuFailure), cpuFailure);
  if (!requested.includes('cpu') && skipped.length > 0) {
    try {
      const probe = typeof model === 'string'
        ? await ort.InferenceSession.create(model, { executionProviders: ['cpu'], graphOptimizationLevel: 'disabled' })
        : await ort.InferenceSession.create(model, { executionProviders: ['cpu'], graphOptimizationLevel: 'disabled', ...(options.externalDataFolder !== undefined ? { extra: { session: folderConfig } } : {}) });
      await probe.release();
    } catch (error) {
      throw modelRejected(label, file, version, ortFailureReason(error), error);
    }
  }
  throw new InspectorError('runtime.no-provider', 'failure',
    `${label}: no execution provider could run this model (tried ${requested.join(', ')}): ${skipped.join('; ')}`);
}

/**
 * An error of a run that ran out of memory (onnxruntime's arena, or a typed array too large for
 * this process), as a one-line bad-input error naming what to lower; null for other errors.
 */
export function asResourceError(error: unknown): BadInputError | null {
  if (error instanceof InspectorError) return null;
  const text = error instanceof Error ? error.message : String(error);
  const arena = /Failed to allocate memory for requested buffer of size (\d+)/.exec(text);
  if (arena) {
    const gib = Number(arena[1]) / 1024 ** 3;
    return new BadInputError('run.too-large', `the run needs more memory than onnxruntime could allocate (a buffer of ${gib >= 0.1 ? `${gib.toFixed(1)} GiB` : `${arena[1]} bytes`}); lower the batch size, sequence length or number of rows`, { cause: error });
  }
  if (error instanceof RangeError && /Invalid typed array length|Array buffer allocation failed|Invalid array length/.test(text)) {
    return new BadInputError('run.too-large', `the run needs more memory than this process can allocate (${escapeControl(text)}); lower the batch size, bootstrap replicates or number of rows`, { cause: error });
  }
  return null;
}
