/** Plain-text rendering of summaries for the terminal (no colours: output is often piped). */
import type { ModelSummary, ValueInfo } from '../protocol/model';
import type { RuntimeInfo } from '../protocol/runtime';
import { escapeControl, formatCount } from '../core/analyze';

/** Left-aligned columns separated by two spaces. */
export function table(cells: readonly (readonly string[])[]): string {
  // Cells are single-line: a name holding a newline or an escape sequence is shown escaped.
  const rows = cells.map((row) => row.map(escapeControl));
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length); });
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}

export function formatShape(shape: ValueInfo['shape']): string {
  return shape === null ? '?' : `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** `EP cpu (skipped: cuda: …; webgpu: …)`: the provider used and why the earlier ones were not. */
export function formatRuntime(runtime: RuntimeInfo): string {
  return `EP ${runtime.used}${runtime.fallbackReason ? ` (skipped: ${escapeControl(runtime.fallbackReason)})` : ''}`;
}

export { formatCount };

/** The human-readable summary `bias-inspector inspect` prints. */
export function formatSummary(s: ModelSummary): string {
  const lines: string[] = [];
  lines.push(`${s.path}`);
  lines.push(`  IR ${s.irVersion}, opsets ${s.opsets.map((o) => `${o.domain || 'ai.onnx'} ${o.version}`).join(', ')}, producer ${s.producer.name || '?'} ${s.producer.version}`.trimEnd());
  lines.push(`  ${formatCount(s.nodeCount)} nodes, ${formatCount(s.parameters.total)} parameters (${formatBytes(s.parameters.bytes)}) in ${s.parameters.tensors} tensors`);
  lines.push('', 'Inputs:');
  lines.push(indent(table([['name', 'dtype', 'shape'], ...s.inputs.map((v) => [v.name, v.dtype, formatShape(v.shape)])])));
  lines.push('', 'Outputs:');
  lines.push(indent(table([['name', 'dtype', 'shape'], ...s.outputs.map((v) => [v.name, v.dtype, formatShape(v.shape)])])));
  lines.push('', 'Ops:');
  lines.push(indent(table(s.opHistogram.map((o) => [o.domain && o.domain !== 'ai.onnx' ? `${o.domain}.${o.op}` : o.op, String(o.count)]))));
  if (s.parameters.byDtype.length > 0) {
    lines.push('', 'Parameters by dtype:');
    lines.push(indent(table(s.parameters.byDtype.map((d) => [d.dtype, `${formatCount(d.parameters)} params`, `${d.tensors} tensors`, formatBytes(d.bytes)]))));
  }
  if (s.externalData.files.length > 0) {
    lines.push('', 'External data:');
    lines.push(indent(table(s.externalData.files.map((f) => [f.location, f.exists === false ? 'MISSING' : f.bytes === null ? 'not checked' : formatBytes(f.bytes)]))));
  }
  lines.push('', `Attention blocks: ${s.attention.blocks.length}${s.attention.blocks.length ? ` (${[...new Set(s.attention.blocks.map((b) => b.kind))].join(', ')})` : ''}`);
  lines.push(`Quantization: ${s.quantization.quantized ? s.quantization.ops.map((o) => `${o.op}×${o.count}`).concat(s.quantization.lowBitWeights.map((w) => `${w.dtype} weights×${w.tensors}`)).join(', ') : 'none found'}`);
  return lines.join('\n');
}

function indent(text: string): string {
  return text.split('\n').map((l) => `  ${l}`).join('\n');
}
