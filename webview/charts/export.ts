/**
 * SVG and PNG export of a chart. Theme colours are CSS variables that mean nothing outside VS
 * Code, so the exported copy gets the computed colours inlined.
 */
const STYLED_PROPERTIES = ['fill', 'stroke', 'stroke-width', 'font-family', 'font-size', 'opacity', 'text-anchor', 'dominant-baseline'] as const;

/** A standalone SVG document of the chart with computed styles inlined. */
export function serializeSvg(svg: SVGSVGElement): string {
  const copy = svg.cloneNode(true) as SVGSVGElement;
  const sources = [svg, ...Array.from(svg.querySelectorAll('*'))];
  const targets = [copy, ...Array.from(copy.querySelectorAll('*'))];
  sources.forEach((source, i) => {
    const target = targets[i];
    if (!(target instanceof SVGElement)) return;
    const computed = getComputedStyle(source);
    for (const property of STYLED_PROPERTIES) {
      const value = computed.getPropertyValue(property);
      if (value) target.style.setProperty(property, value);
    }
  });
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  const background = getComputedStyle(document.body).getPropertyValue('--vscode-editor-background').trim() || '#ffffff';
  copy.style.setProperty('background', background);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(copy)}`;
}

/** PNG bytes of the chart at `scale`x, drawn through an <img> of the serialized SVG. */
export async function rasterizeSvg(svg: SVGSVGElement, scale = 2): Promise<ArrayBuffer> {
  const text = serializeSvg(svg);
  const width = Number(svg.getAttribute('width')) || svg.clientWidth;
  const height = Number(svg.getAttribute('height')) || svg.clientHeight;
  const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    await new Promise<void>((resolve, reject) => {
      image.onload = () => resolve();
      image.onerror = () => reject(new Error('the chart could not be rasterized'));
      image.src = url;
    });
    const canvas = document.createElement('canvas');
    canvas.width = Math.ceil(width * scale);
    canvas.height = Math.ceil(height * scale);
    const context = canvas.getContext('2d');
    if (!context) throw new Error('no 2D canvas context');
    context.fillStyle = getComputedStyle(document.body).getPropertyValue('--vscode-editor-background').trim() || '#ffffff';
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.scale(scale, scale);
    context.drawImage(image, 0, 0, width, height);
    const blob = await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))), 'image/png'));
    return await blob.arrayBuffer();
  } finally {
    URL.revokeObjectURL(url);
  }
}
