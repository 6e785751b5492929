/** Section renderers by report kind; a kind without one is shown as its JSON, plainly labelled. */
import type { SectionContext } from './context';
import { h } from '../shared/dom';

export type SectionRenderer = (report: never, ctx: SectionContext) => HTMLElement;

const renderers: Record<string, (report: unknown, ctx: SectionContext) => HTMLElement> = {};

/** Registers the renderer of a report kind. */
export function registerSection<R>(kind: string, render: (report: R, ctx: SectionContext) => HTMLElement): void {
  renderers[kind] = render as (report: unknown, ctx: SectionContext) => HTMLElement;
}

/** Renders a report with its kind's renderer, or as labelled JSON when there is none. */
export function renderReport(report: unknown, ctx: SectionContext): HTMLElement {
  const kind = typeof report === 'object' && report !== null ? (report as { kind?: unknown }).kind : undefined;
  const render = typeof kind === 'string' ? renderers[kind] : undefined;
  if (render) return render(report, ctx);
  return h('section', { className: 'raw-report' },
    h('p', { className: 'muted', text: `No view for reports of kind ${JSON.stringify(kind ?? null)} in this build; the report's JSON follows.` }),
    h('pre', { className: 'mono', text: JSON.stringify(report, null, 2) }));
}
