/**
 * Layout of one zoomed heatmap figure (title, token labels on both axes, the map, a legend with
 * the scale's numbers), pure (no DOM), and its export as a standalone SVG string.
 *
 * The same layout drives three renderers: the live view (canvas under a d3 SVG overlay), the PNG
 * export (drawn on a canvas, then canvas.toBlob) and the SVG export (this file).
 *
 * SVG export choice: the map is ONE <image> holding a PNG data URL of the full-resolution map
 * (one pixel per cell, scaled up by an integer factor, `image-rendering: pixelated`), with titles,
 * token labels and legend as vector text. A T×T map as <rect>s would be T² elements (a million at
 * 1024 tokens) that editors choke on; the image keeps every cell exact at any size.
 */
import { gradientStops, legendTicks, type HeatmapScale } from './heatmapColor';
import { thinLabels } from './heatmapLayout';

export interface FigureSpec {
  readonly title: string;
  readonly rows: number;
  readonly cols: number;
  /** Labels of the query (row) and key (column) positions; positions "0", "1"… when absent. */
  readonly rowLabels?: readonly string[];
  readonly colLabels?: readonly string[];
  /** CSS pixels of the longer side of the map. */
  readonly mapSize: number;
  readonly scale: HeatmapScale;
  readonly rowAxis?: string;
  readonly colAxis?: string;
  /** Label font size in px (default 11). */
  readonly fontSize?: number;
  /** Labels longer than this are cut with an ellipsis (default 14 characters). */
  readonly maxLabelChars?: number;
}

export interface PlacedText {
  readonly text: string;
  readonly x: number;
  readonly y: number;
}

export interface FigureLayout {
  readonly width: number;
  readonly height: number;
  readonly fontSize: number;
  readonly title: PlacedText;
  readonly map: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  /** Right-aligned at x, vertically centred on y. */
  readonly rowLabels: readonly PlacedText[];
  /** Rotated −90° about (x, y), starting at y and reading upwards. */
  readonly colLabels: readonly PlacedText[];
  readonly rowStep: number;
  readonly colStep: number;
  readonly rowAxis: PlacedText;
  readonly colAxis: PlacedText;
  readonly legend: {
    readonly x: number;
    readonly y: number;
    readonly width: number;
    readonly height: number;
    readonly ticks: readonly PlacedText[];
    readonly stops: readonly { readonly offset: number; readonly color: string }[];
  };
}

/** A token shown as a label: control characters made visible, long ones cut with "…". */
export function displayToken(token: string, maxChars: number): string {
  // eslint-disable-next-line no-control-regex
  const visible = token === '' ? '∅' : token.replace(/[\u0000-\u001f\u007f]/g, '·').replace(/ /g, '␣');
  const chars = Array.from(visible);
  return chars.length > maxChars ? `${chars.slice(0, Math.max(1, maxChars - 1)).join('')}…` : visible;
}

/** Lays out a figure; label room follows the longest shown label (about 0.62 em per character). */
export function layoutFigure(spec: FigureSpec): FigureLayout {
  const fontSize = spec.fontSize ?? 11;
  const maxChars = spec.maxLabelChars ?? 14;
  const longer = Math.max(spec.rows, spec.cols, 1);
  const mapWidth = Math.max(1, Math.round((spec.mapSize * spec.cols) / longer));
  const mapHeight = Math.max(1, Math.round((spec.mapSize * spec.rows) / longer));
  const minSpacing = fontSize + 2;
  const rows = thinLabels(spec.rows, mapHeight, minSpacing);
  const cols = thinLabels(spec.cols, mapWidth, minSpacing);
  const rowText = rows.labels.map((l) => displayToken(spec.rowLabels?.[l.index] ?? String(l.index), maxChars));
  const colText = cols.labels.map((l) => displayToken(spec.colLabels?.[l.index] ?? String(l.index), maxChars));
  const charWidth = fontSize * 0.62;
  const longest = (texts: readonly string[]): number => texts.reduce((m, t) => Math.max(m, Array.from(t).length), 1);
  const axisRoom = fontSize + 6;
  const rowLabelWidth = Math.ceil(longest(rowText) * charWidth) + 6;
  const colLabelHeight = Math.ceil(longest(colText) * charWidth) + 6;
  const titleHeight = fontSize + 10;
  const pad = 8;
  const mapX = pad + axisRoom + rowLabelWidth;
  const mapY = pad + titleHeight + axisRoom + colLabelHeight;
  const legendY = mapY + mapHeight + 12;
  const legendWidth = Math.min(Math.max(mapWidth, 160), 260);
  const legendHeight = 10;
  const ticks = legendTicks(spec.scale, 5);
  const titleWidth = Math.ceil(Array.from(spec.title).length * fontSize * 0.64);
  const width = Math.max(mapX + mapWidth, mapX + legendWidth + 20, pad + titleWidth) + pad;
  const height = legendY + legendHeight + fontSize + 8 + pad;
  return {
    width,
    height,
    fontSize,
    title: { text: spec.title, x: pad, y: pad + fontSize + 2 },
    map: { x: mapX, y: mapY, width: mapWidth, height: mapHeight },
    rowLabels: rows.labels.map((l, i) => ({ text: rowText[i] ?? '', x: mapX - 4, y: mapY + l.position })),
    colLabels: cols.labels.map((l, i) => ({ text: colText[i] ?? '', x: mapX + l.position, y: mapY - 4 })),
    rowStep: rows.step,
    colStep: cols.step,
    rowAxis: { text: spec.rowAxis ?? 'query', x: pad + fontSize, y: mapY + mapHeight / 2 },
    colAxis: { text: spec.colAxis ?? 'key', x: mapX + mapWidth / 2, y: pad + titleHeight + fontSize },
    legend: {
      x: mapX,
      y: legendY,
      width: legendWidth,
      height: legendHeight,
      ticks: ticks.map((t) => ({ text: t.label, x: mapX + t.offset * legendWidth, y: legendY + legendHeight + fontSize + 2 })),
      stops: gradientStops(spec.scale),
    },
  };
}

/** Escapes text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const num = (v: number): string => String(Math.round(v * 100) / 100);

/**
 * A standalone SVG document of the figure: `imageHref` is the map's PNG data URL, `colors` the
 * text and background colours to bake in (theme variables mean nothing outside VS Code).
 */
export function figureSvg(layout: FigureLayout, imageHref: string, colors: { readonly foreground: string; readonly background: string; readonly fontFamily?: string }): string {
  const font = escapeXml(colors.fontFamily ?? 'sans-serif');
  const fg = escapeXml(colors.foreground);
  const text = (t: PlacedText, extra = ''): string => `<text x="${num(t.x)}" y="${num(t.y)}"${extra}>${escapeXml(t.text)}</text>`;
  const { map, legend } = layout;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${num(layout.width)}" height="${num(layout.height)}" viewBox="0 0 ${num(layout.width)} ${num(layout.height)}" font-family="${font}" font-size="${layout.fontSize}" fill="${fg}">`,
    `<title>${escapeXml(layout.title.text)}</title>`,
    `<defs><linearGradient id="legend-gradient" x1="0" x2="1" y1="0" y2="0">${legend.stops.map((s) => `<stop offset="${num(s.offset * 100)}%" stop-color="${escapeXml(s.color)}"/>`).join('')}</linearGradient></defs>`,
    `<rect x="0" y="0" width="${num(layout.width)}" height="${num(layout.height)}" fill="${escapeXml(colors.background)}"/>`,
    text(layout.title, ' font-weight="600"'),
    text(layout.colAxis, ' text-anchor="middle"'),
    text(layout.rowAxis, ` text-anchor="middle" transform="rotate(-90 ${num(layout.rowAxis.x)} ${num(layout.rowAxis.y)})"`),
    `<image x="${num(map.x)}" y="${num(map.y)}" width="${num(map.width)}" height="${num(map.height)}" preserveAspectRatio="none" style="image-rendering:pixelated" image-rendering="optimizeSpeed" href="${escapeXml(imageHref)}" xlink:href="${escapeXml(imageHref)}"/>`,
    '<g class="row-labels" text-anchor="end" dominant-baseline="middle">',
    ...layout.rowLabels.map((t) => text(t)),
    '</g>',
    '<g class="col-labels" text-anchor="start" dominant-baseline="middle">',
    ...layout.colLabels.map((t) => text(t, ` transform="rotate(-90 ${num(t.x)} ${num(t.y)})"`)),
    '</g>',
    `<rect x="${num(legend.x)}" y="${num(legend.y)}" width="${num(legend.width)}" height="${num(legend.height)}" fill="url(#legend-gradient)"/>`,
    '<g class="legend-ticks" text-anchor="middle">',
    ...legend.ticks.map((t) => `<line x1="${num(t.x)}" x2="${num(t.x)}" y1="${num(legend.y + legend.height)}" y2="${num(legend.y + legend.height + 3)}" stroke="${fg}"/>${text(t)}`),
    '</g>',
    '</svg>',
  ];
  return lines.join('\n');
}
