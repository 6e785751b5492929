/** Helpers the bench scripts share: the result table they print and the large CSV files they write. */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

export interface ResultRow {
  readonly name: string;
  readonly value: string;
  readonly target: string;
  readonly pass: boolean | null;
}

export function printTable(title: string, rows: readonly ResultRow[]): void {
  console.log(`\n### ${title}\n`);
  console.log('| measurement | result | target | |');
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.name} | ${r.value} | ${r.target} | ${r.pass === null ? '' : r.pass ? 'PASS' : 'MISS'} |`);
}

/** Writes `rows` lines after `header` to a file, with backpressure. */
export async function writeLines(path: string, header: string, rows: number, line: (i: number) => string): Promise<void> {
  const out = createWriteStream(path);
  out.write(`${header}\n`);
  let chunk: string[] = [];
  for (let i = 0; i < rows; i++) {
    chunk.push(line(i));
    if (chunk.length === 8192 || i === rows - 1) {
      if (!out.write(`${chunk.join('\n')}\n`)) await once(out, 'drain');
      chunk = [];
    }
  }
  out.end();
  await once(out, 'finish');
}
