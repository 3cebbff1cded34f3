#!/usr/bin/env node
// The sources import relative modules without extensions (moduleResolution "Bundler"); TypeScript copies
// those specifiers into the emitted .d.ts files, which consumers on moduleResolution "node16"/"nodenext"
// cannot resolve (their types silently become `any`). This rewrites each relative specifier in the
// declarations under the given folder to the file it names: `./x` -> `./x.js`, `./dir` -> `./dir/index.js`.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? 'dist/types');
const SPECIFIER = /(\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]*)\2/g;

function withExtension(fromFile, specifier) {
  if (/\.(js|mjs|cjs|json)$/.test(specifier)) return specifier;
  const target = resolve(dirname(fromFile), specifier);
  if (existsSync(`${target}.d.ts`)) return `${specifier}.js`;
  if (existsSync(join(target, 'index.d.ts'))) return `${specifier}/index.js`;
  throw new Error(`${fromFile}: cannot resolve ${specifier}`);
}

function walk(path) {
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path)) walk(join(path, entry));
    return;
  }
  if (!path.endsWith('.d.ts')) return;
  const text = readFileSync(path, 'utf8');
  const fixed = text.replace(
    SPECIFIER,
    (_, lead, quote, specifier) => `${lead}${quote}${withExtension(path, specifier)}${quote}`,
  );
  if (fixed !== text) writeFileSync(path, fixed);
}

walk(root);
