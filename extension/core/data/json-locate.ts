/**
 * Maps a JSON pointer to the line:column where its value starts in the JSON text, so spec
 * errors can point into the file. A small scanner over already-valid JSON (the text parsed
 * before we get here); returns undefined when the pointer does not resolve.
 */

export interface TextPosition {
  readonly line: number;
  readonly column: number;
}

/** 1-based line and column of a character offset. */
export function positionAt(text: string, offset: number): TextPosition {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Decodes a JSON pointer ("/a/b~1c/0") into its segments. */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Position of the value at `pointer` (the root for ""), or undefined. */
export function locatePointer(text: string, pointer: string): TextPosition | undefined {
  let at = skipSpace(text, 0);
  for (const segment of pointerSegments(pointer)) {
    const next = text[at] === '{' ? findMember(text, at, segment) : text[at] === '[' ? findElement(text, at, Number(segment)) : undefined;
    if (next === undefined) return undefined;
    at = next;
  }
  return at < text.length ? positionAt(text, at) : undefined;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  return i;
}

/** Offset just past the string starting at i (text[i] === '"'). */
function skipString(text: string, i: number): number {
  i++;
  while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  return i + 1;
}

/** Offset just past the value starting at i. */
function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return skipString(text, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    while (i < text.length) {
      const ch = text[i]!;
      if (ch === '"') {
        i = skipString(text, i);
        continue;
      }
      if (ch === '{' || ch === '[') depth++;
      else if (ch === '}' || ch === ']') {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return i;
  }
  while (i < text.length && !',}] \t\r\n'.includes(text[i]!)) i++;
  return i;
}

function findMember(text: string, open: number, key: string): number | undefined {
  let i = skipSpace(text, open + 1);
  while (i < text.length && text[i] === '"') {
    const end = skipString(text, i);
    const name: unknown = JSON.parse(text.slice(i, end));
    i = skipSpace(text, end);
    if (text[i] !== ':') return undefined;
    i = skipSpace(text, i + 1);
    if (name === key) return i;
    i = skipSpace(text, skipValue(text, i));
    if (text[i] !== ',') return undefined;
    i = skipSpace(text, i + 1);
  }
  return undefined;
}

function findElement(text: string, open: number, index: number): number | undefined {
  if (!Number.isInteger(index) || index < 0) return undefined;
  let i = skipSpace(text, open + 1);
  for (let k = 0; i < text.length && text[i] !== ']'; k++) {
    if (k === index) return i;
    i = skipSpace(text, skipValue(text, i));
    if (text[i] !== ',') return undefined;
    i = skipSpace(text, i + 1);
  }
  return undefined;
}

/** Escapes one pointer segment ("a/b" -> "a~1b"). */
export function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}
