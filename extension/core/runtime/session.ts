/**
 * Inference sessions with provider fallback. The provider actually used and the reasons the
 * earlier ones were skipped are returned with the session, for the status bar and every report.
 */
import type { InferenceSession } from 'onnxruntime-node';
import { InspectorError } from '../errors';
import type { ExecutionProvider, RuntimeInfo } from '../../protocol/runtime';
import { loadOrt, nativeBinaryDir } from './loader';
import { providerPrecheck, requestedProviders, type ProviderSetting } from './providers';

export interface SessionOptions {
  readonly providers: ProviderSetting;
  /** Intra-op threads; 0 lets onnxruntime decide. */
  readonly threads?: number;
  /** Disable graph optimisations, so that no fusion removes a tensor we exposed as an output. */
  readonly disableOptimizations?: boolean;
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
  return (match?.[1] ?? line).slice(0, 200);
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
  for (const provider of requested) {
    const reason = providerPrecheck(provider, binaryDir);
    if (reason) {
      skipped.push(reason);
      continue;
    }
    const sessionOptions: InferenceSession.SessionOptions = {
      executionProviders: [providerOption(provider)],
      graphOptimizationLevel: options.disableOptimizations ? 'disabled' : 'all',
      ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
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
      skipped.push(`${provider}: ${firstLine(error)}`);
    }
  }
  throw new InspectorError('runtime.no-provider', 'failure',
    `${label}: no execution provider could run this model (tried ${requested.join(', ')}): ${skipped.join('; ')}`);
}
