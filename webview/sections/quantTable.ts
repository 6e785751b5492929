/** A vscode-table for the quantization views: header texts, rows of cell texts, optional column widths and cell tooltips. */
import { h } from '../shared/dom';

export interface QuantTableOptions {
  /** Column widths as percentages ("12%"), one per header. */
  readonly columns?: readonly string[];
  /** Extra class of a row (e.g. the selected one). */
  readonly rowClass?: (row: number) => string | undefined;
  /** Tooltip of a cell (full values where the cell is cut short). */
  readonly title?: (row: number, col: number) => string | undefined;
}

/** Model-derived strings only through textContent (h's `text`). */
export function quantTable(testId: string, label: string, headers: readonly string[], rows: readonly (readonly string[])[], options: QuantTableOptions = {}): HTMLElement {
  const table = h('vscode-table', { 'data-testid': testId, 'aria-label': label, zebra: true, bordered: true, resizable: true },
    h('vscode-table-header', { slot: 'header' }, ...headers.map((text) => h('vscode-table-header-cell', { text }))),
    h('vscode-table-body', { slot: 'body' }, ...rows.map((cells, r) => h('vscode-table-row', { className: options.rowClass?.(r) },
      ...cells.map((text, c) => h('vscode-table-cell', { text, title: options.title?.(r, c) ?? (text.length > 24 ? text : undefined) }))))));
  const columns = options.columns;
  if (columns) {
    // vscode-table turns widths into percentages of its own width, and only once it has rendered
    // its header: set them when it is laid out, and again until the header cells took them.
    let tries = 0;
    const firstHeader = table.querySelector<HTMLElement>('vscode-table-header-cell');
    const apply = (): void => {
      if (table.isConnected && table.getBoundingClientRect().width > 0) {
        (table as HTMLElement & { columns: string[] }).columns = [...columns];
        if (firstHeader?.style.width === columns[0]) return;
      }
      if (tries++ < 120) requestAnimationFrame(apply);
    };
    requestAnimationFrame(apply);
  }
  return table;
}
