/** A chart with its Export SVG / Export PNG buttons (works for SVG charts and canvas heatmaps). */
import type { ExportRequest } from '../../extension/protocol/messages';
import { rasterizeSvg, serializeSvg } from '../charts/export';
import { h } from './dom';

export type ExportFn = (request: ExportRequest) => Promise<{ readonly savedTo: string | null }>;

/** Wraps an SVG chart with export buttons and a caption. */
export function chartFrame(svg: SVGSVGElement, name: string, exportChart: ExportFn, caption?: string): HTMLElement {
  return frame(svg, name, exportChart, caption, {
    svg: () => Promise.resolve(serializeSvg(svg)),
    png: () => rasterizeSvg(svg),
  });
}

/** Wraps any element with export buttons; `render` gives the SVG text and PNG bytes. */
export function frame(
  content: Element,
  name: string,
  exportChart: ExportFn,
  caption: string | undefined,
  render: { svg?: () => Promise<string>; png: () => Promise<ArrayBuffer> },
): HTMLElement {
  const status = h('span', { className: 'muted export-status', 'aria-live': 'polite' });
  const run = async (format: 'svg' | 'png'): Promise<void> => {
    try {
      const data = format === 'svg' && render.svg ? await render.svg() : await render.png();
      const { savedTo } = await exportChart({ suggestedName: `${name}.${format}`, format, data });
      status.textContent = savedTo ? `saved ${savedTo}` : '';
    } catch (error) {
      status.textContent = `export failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  };
  const buttons: HTMLElement[] = [];
  if (render.svg) {
    const svgButton = h('vscode-button', { secondary: true, text: 'Export SVG', 'data-export': 'svg' });
    svgButton.addEventListener('click', () => void run('svg'));
    buttons.push(svgButton);
  }
  const pngButton = h('vscode-button', { secondary: true, text: 'Export PNG', 'data-export': 'png' });
  pngButton.addEventListener('click', () => void run('png'));
  buttons.push(pngButton);
  return h('figure', { className: 'chart' }, content, h('figcaption', {}, ...(caption ? [h('span', { className: 'muted', text: caption })] : []), ...buttons, status));
}
