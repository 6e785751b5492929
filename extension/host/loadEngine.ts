import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as Engine from './engine';

export type EngineModule = typeof Engine;

let loaded: EngineModule | undefined;

/**
 * The engine (engine.ts), required on first use: the separate bundle dist/engine.js beside
 * dist/extension.js, so that activation loads neither it nor ONNX parsing, the data readers or
 * the schema validator. The path is computed so that esbuild leaves the require alone. Errors
 * (core/errors.ts) and RPC (protocol/rpc.ts) are shared bundles (dist/shared/*.js) that both
 * require, so `instanceof` holds across the two (see esbuild.mjs).
 */
export function engine(): EngineModule {
  loaded ??= createRequire(__filename)(join(__dirname, 'engine.js')) as EngineModule;
  return loaded;
}
