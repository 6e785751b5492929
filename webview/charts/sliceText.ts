/** Plain words for slices: "region = W and device = mobile: error 34.6% vs 9.7% elsewhere, n = 185, q = 2e-10". */
import type { SliceEntry } from '../../extension/protocol/slices';

const pct = (v: number): string => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : String(v));
export const formatQ = (p: number): string => (Number.isNaN(p) ? 'n/a' : p < 1e-4 ? p.toExponential(1) : p.toPrecision(2));

export function sliceValue(errorKind: string, v: number): string {
  return errorKind === 'misclassification' ? pct(v) : Number.isFinite(v) ? v.toFixed(4) : String(v);
}

export function sliceWords(s: SliceEntry): string {
  return s.text.replace(/ & /g, ' and ');
}

export function sliceFlags(s: SliceEntry): string[] {
  return [s.small ? 'small' : '', s.test.q >= 0.05 || Number.isNaN(s.test.q) ? 'not significant' : '', s.test.selectedOnSameData ? 'found and tested on the same rows' : ''].filter(Boolean);
}

export function sliceSentenceText(s: SliceEntry, errorKind: string): string {
  const what = errorKind === 'misclassification' ? 'error' : `mean ${errorKind.replace('_', ' ')}`;
  const flags = sliceFlags(s);
  return `${sliceWords(s)}: ${what} ${sliceValue(errorKind, s.test.errorMean)} vs ${sliceValue(errorKind, s.test.errorMean - s.test.diff)} elsewhere, n = ${s.test.size}, q = ${formatQ(s.test.q)}${flags.length ? ` (${flags.join('; ')})` : ''}`;
}
