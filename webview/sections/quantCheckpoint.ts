/**
 * An existing quantized checkpoint against its float model (issue 6 item 5): each dequantized
 * weight's error against the float weight it was matched with, worst first, and what could not
 * be matched. The per-group run of both models is the impact view's single 'checkpoint' entry.
 */
import type { QuantCheckpoint } from '../../extension/protocol/quant';
import { formatMetric, QUANT_METRICS } from '../charts/quantData';
import { formatCount, h } from '../shared/dom';
import { quantTable } from './quantTable';

const baseName = (path: string): string => path.split(/[\\/]/).pop() ?? path;

/** The checkpoint view: matched weights (lowest SQNR first) and the unmatched ones with reasons. */
export function checkpointView(c: QuantCheckpoint): HTMLElement {
  const tensors = [...c.tensors].sort((a, b) => {
    const na = Number.isNaN(a.sqnr_db);
    const nb = Number.isNaN(b.sqnr_db);
    return na !== nb ? (na ? 1 : -1) : na ? 0 : a.sqnr_db - b.sqnr_db;
  });
  const unmatched = [...c.unmatched.float.map((u) => ({ side: 'float', ...u })), ...c.unmatched.quantized.map((u) => ({ side: 'quantized', ...u }))];
  return h('div', { className: 'quant-checkpoint', 'data-testid': 'quant-checkpoint' },
    h('p', { text: `${c.style === 'qdq' ? 'QDQ' : c.style === 'qoperator' ? 'QOperator' : 'QDQ and QOperator'} checkpoint compared with the float model ${baseName(c.float)}: ${formatCount(c.tensors.length)} weight${c.tensors.length === 1 ? '' : 's'} dequantized (x = (q − zero_point)·scale) and matched, lowest SQNR first.` }),
    quantTable('quant-checkpoint-tensors', 'Dequantized weights against the float model',
      ['float weight', 'quantized', 'consumer', 'stored', 'axis', 'elements', ...QUANT_METRICS],
      tensors.map((t) => [t.name, t.quantized, `${t.op} ${t.node}`, t.dtype, t.axis === null ? 'per tensor' : String(t.axis), formatCount(t.elements), ...QUANT_METRICS.map((m) => formatMetric(m, t[m]))]),
      { columns: ['14%', '12%', '14%', '6%', '7%', '7%', '8%', '8%', '8%', '8%', '8%'] }),
    unmatched.length > 0
      ? h('details', { 'data-testid': 'quant-checkpoint-unmatched' }, h('summary', { text: `Not matched (${unmatched.length})` }),
        h('ul', {}, ...unmatched.map((u) => h('li', {}, `${u.side} `, h('span', { className: 'mono', text: u.name }), `: ${u.reason}`))))
      : h('p', { className: 'muted', text: 'Every float weight above the size threshold has a quantized counterpart.' }));
}
