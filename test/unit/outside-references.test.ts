import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packagePath } from '../../src/paths.js';

/**
 * The repository stands on its own: no file may point at notes, designs or
 * paths that are not in it. Facts the code relies on live under docs/.
 */

const ROOT = packagePath();
const SELF = 'test/unit/outside-references.test.ts';

/** Never anywhere. */
const FORBIDDEN = ['domain-facts.md', 'hardware-facts.md', 'DESIGN.md', 'DESIGN §', 'reference/', '/work/wt', '/work/main', '/work/shared'];

/** Names of outside notes, allowed only where applied data must keep them: the migration that seeded them and the one that replaces them. */
const NOTE_NAMES = ['domain-facts', 'hardware-facts', 'model-codebases'];
const HISTORY = new Set(['src/storage/migrations/008_retention.sql', 'src/storage/migrations/075_retention_sources.sql', 'test/integration/retention-sources-migration.test.ts']);

/** Tracked files (git ls-files); outside a checkout, every file but dependencies and build output. */
function repositoryFiles(): string[] {
  const git = spawnSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' });
  if (git.status === 0 && git.stdout.length > 0) return git.stdout.split('\0').filter(Boolean);
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      if (['node_modules', 'dist', '.git'].includes(name)) return [];
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : [relative(ROOT, path)];
    });
  return walk(ROOT);
}

describe('references to files outside the repository', () => {
  const files = repositoryFiles().filter((f) => f !== SELF);

  it('finds the files to check', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'src/domain/retention.ts', 'docs/retention.md']));
  });

  it('no tracked file mentions an outside note, design document or machine path', () => {
    const hits: string[] = [];
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(join(ROOT, file), 'utf8');
      } catch {
        continue; // deleted in the work tree but still in the index
      }
      for (const needle of FORBIDDEN) if (text.includes(needle)) hits.push(`${file}: ${needle}`);
      if (!HISTORY.has(file)) for (const needle of NOTE_NAMES) if (text.includes(needle)) hits.push(`${file}: ${needle}`);
    }
    expect(hits).toEqual([]);
  });
});
