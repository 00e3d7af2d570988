/**
 * `npm run gen`: writes the completion scripts and the man page generated from the command tree
 * (see ./index.ts) into the repository, where they are committed. Run as
 * `node dist/cli/docs/write.js [ROOT]` (ROOT defaults to the repository of this file).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDocs } from './index.js';

/** Writes every generated file under root; returns the paths that changed. */
export function writeDocs(root: string): string[] {
  const changed: string[] = [];
  for (const [path, content] of Object.entries(generateDocs())) {
    const file = join(root, path);
    let old: string | undefined;
    try {
      old = readFileSync(file, 'utf8');
    } catch {
      old = undefined;
    }
    if (old === content) continue;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    changed.push(path);
  }
  return changed;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '../../..'));
  const changed = writeDocs(root);
  process.stdout.write(changed.length ? `updated: ${changed.join(', ')}\n` : 'completions and man page are up to date\n');
}
