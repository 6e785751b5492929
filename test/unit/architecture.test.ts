/**
 * The structure ARCHITECTURE.md describes, checked over the sources (lint checks the import
 * arrows; these are what lint cannot see): no report type is defined twice, and no module of
 * the extension imports itself back through a loop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(__dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

const protocolFiles = sources(join(root, 'extension/protocol'));
const otherFiles = [...sources(join(root, 'extension')).filter((f) => !f.includes(`${join('extension', 'protocol')}`)), ...sources(join(root, 'webview'))];

test('every type the protocol declares is declared nowhere else (aliases and re-exports aside)', () => {
  const declared = new Set<string>();
  for (const file of protocolFiles) {
    for (const m of readFileSync(file, 'utf8').matchAll(/^export (?:interface|type) ([A-Za-z0-9_]+)/gm)) declared.add(m[1]!);
  }
  assert.ok(declared.has('GroupsReport') && declared.has('AttentionReport') && declared.has('QuantizationReport') && declared.has('ModelSummary'));
  const twice: string[] = [];
  for (const file of otherFiles) {
    const text = readFileSync(file, 'utf8');
    // A second definition is an interface, or a type alias whose body is an object type.
    for (const m of text.matchAll(/^(?:export )?(?:interface ([A-Za-z0-9_]+)|type ([A-Za-z0-9_]+)(?:<[^=]*>)? = \{)/gm)) {
      const name = m[1] ?? m[2]!;
      if (declared.has(name)) twice.push(`${relative(root, file)}: ${name}`);
    }
  }
  assert.deepEqual(twice, [], 'report/protocol types defined a second time');
});

test('no value-import loop among the modules of extension/ (host included)', () => {
  const graph = new Map<string, string[]>();
  for (const file of sources(join(root, 'extension'))) {
    const deps: string[] = [];
    for (const m of readFileSync(file, 'utf8').matchAll(/^import (?!type )[^;]*?from '(\.[^']+)'/gms)) {
      const target = resolve(dirname(file), m[1]!);
      const found = [`${target}.ts`, join(target, 'index.ts')].find((c) => existsSync(c));
      if (found) deps.push(found);
    }
    graph.set(file, deps);
  }
  const loops: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, path: string[]): void => {
    state.set(file, 'open');
    for (const dep of graph.get(file) ?? []) {
      if (state.get(dep) === 'open') loops.push([...path.slice(path.indexOf(dep)), dep].map((f) => relative(root, f)).join(' -> '));
      else if (!state.has(dep)) visit(dep, [...path, dep]);
    }
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file, [file]);
  assert.deepEqual(loops, []);
});
