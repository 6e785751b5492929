/** The WebAssembly text assembler, shared with the bootstrap kernel: extension/core/wasm/wat.ts. */
export { assembleWat } from '../../wasm/wat';
