import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layering docs/layout.md promises, held against the code: a folder of lib/ imports only
 * folders listed before it there, nothing deployed imports tools/, scripts/, bench/ or test/, and no
 * files import each other in a circle (a lazy import() counts).
 */

const ROOT = join(import.meta.dirname, '..', '..');
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;

/** The folders of lib/ in the order docs/layout.md lists them, bottom layer first. */
function layerOrder(): string[] {
  const text = readFileSync(join(ROOT, 'docs', 'layout.md'), 'utf8');
  return [...text.matchAll(/^(lib\/[a-z-]+)\/\s/gm)].map((m) => m[1] as string);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|cts|mjs|cjs)$/.test(name) ? [path] : [];
  });
}

/** The project files a file imports (relative specifiers only; packages are outside the rule). */
function importsOf(file: string, read: (file: string) => string): string[] {
  const out: string[] = [];
  for (const m of read(file).matchAll(IMPORT)) {
    const base = normalize(join(dirname(file), m[1] as string));
    const candidates = [base, `${base}.ts`, join(base, 'index.ts'), base.replace(/\.js$/, '.ts')];
    out.push(candidates.find((c) => existsSync(join(ROOT, c)) && statSync(join(ROOT, c)).isFile()) ?? base);
  }
  return out;
}

/** The room of a file: `lib/<folder>`, or its top folder. */
const roomOf = (file: string) => {
  const parts = file.split('/');
  return parts[0] === 'lib' && parts.length > 2 ? `lib/${parts[1]}` : (parts[0] as string);
};

interface LayerBreach {
  from: string;
  to: string;
  why: string;
}

/** Every import that breaks the order, and every circle of files (as the files in it). */
function checkLayers(
  files: readonly string[],
  order: readonly string[],
  importsOfFile: (file: string) => string[],
): { breaches: LayerBreach[]; circles: string[][] } {
  const rank = new Map(order.map((room, i) => [room, i]));
  const breaches: LayerBreach[] = [];
  const edges = new Map<string, string[]>();
  for (const file of files) {
    const targets = importsOfFile(file);
    edges.set(file, targets);
    const from = roomOf(file);
    for (const target of targets) {
      const to = roomOf(target);
      if (from === to) continue;
      if (from.startsWith('lib/') && !to.startsWith('lib/'))
        breaches.push({ from: file, to: target, why: `lib/ imports ${to}/` });
      else if (from.startsWith('lib/') && to.startsWith('lib/')) {
        const a = rank.get(from);
        const b = rank.get(to);
        if (a === undefined || b === undefined)
          breaches.push({
            from: file,
            to: target,
            why: `${a === undefined ? from : to} is not listed in docs/layout.md`,
          });
        else if (b > a)
          breaches.push({ from: file, to: target, why: `${from} imports ${to}, which docs/layout.md lists above it` });
      } else if (from === 'functions' && !to.startsWith('lib/'))
        breaches.push({ from: file, to: target, why: `functions/ imports ${to}/` });
    }
  }
  // Tarjan's strongly connected components: any with more than one file is a circle.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (edges.get(v) ?? []).includes(v)) circles.push(component.sort());
    }
  };
  for (const file of files) if (!index.has(file)) visit(file);
  return { breaches, circles };
}

describe('the layering docs/layout.md describes', () => {
  it('lists every folder of lib/ once', () => {
    const order = layerOrder();
    const folders = readdirSync(join(ROOT, 'lib'))
      .filter(
        (name) => statSync(join(ROOT, 'lib', name)).isDirectory() && readdirSync(join(ROOT, 'lib', name)).length > 0,
      )
      .map((name) => `lib/${name}`);
    expect(new Set(order).size).toBe(order.length);
    expect([...order].sort()).toEqual(folders.sort());
  });

  it('holds in the code: no import runs up a layer, nothing deployed imports tools, no circle of files', () => {
    const files = [...sourceFiles('lib'), ...sourceFiles('functions')];
    expect(files.length).toBeGreaterThan(100);
    const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
    const { breaches, circles } = checkLayers(files, layerOrder(), (file) => importsOf(file, read));
    expect(breaches).toEqual([]);
    expect(circles).toEqual([]);
  });

  it('finds an import that runs up, one into tools, and a circle made by a lazy import()', () => {
    const fake: Record<string, string> = {
      'lib/core/a.ts': "import { b } from '../domain/b';",
      'lib/domain/b.ts': "export const b = () => import('./c');",
      'lib/domain/c.ts': "import { b } from './b';\nimport { s } from '../../tools/local/s';",
    };
    const imports = (file: string) =>
      [...(fake[file] as string).matchAll(IMPORT)].map((m) =>
        relative('.', normalize(join(dirname(file), `${m[1]}.ts`))),
      );
    const { breaches, circles } = checkLayers(Object.keys(fake), ['lib/core', 'lib/domain'], imports);
    expect(breaches.map((b) => b.why)).toEqual([
      'lib/core imports lib/domain, which docs/layout.md lists above it',
      'lib/ imports tools/',
    ]);
    expect(circles).toEqual([['lib/domain/b.ts', 'lib/domain/c.ts']]);
  });
});
