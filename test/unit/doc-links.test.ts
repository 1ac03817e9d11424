import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packagePath } from '../../src/paths.js';

/**
 * The README stays a front page (at most 20,000 characters) and every relative link in it and
 * in docs/ leads somewhere: to a file that exists and, for a `#anchor` into a Markdown file, to a
 * heading of that file (anchors as the repository host makes them from headings).
 */

const ROOT = packagePath();
const README_LIMIT = 20_000;

function markdownFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return walk(path);
      return name.endsWith('.md') ? [relative(ROOT, path)] : [];
    });
  return ['README.md', ...walk(join(ROOT, 'docs'))];
}

/** Text outside fenced code blocks. */
function unfenced(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, '');
}

/** Text outside fenced code blocks and inline code, where a bracket is not a link. */
function prose(text: string): string {
  return unfenced(text).replace(/`[^`\n]*`/g, '');
}

/** Heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of unfenced(text).split('\n')) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = (m[1] ?? '')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Relative link targets of a Markdown text: `[text](target)`, without web or mail addresses. */
function relativeLinks(text: string): string[] {
  const links: string[] = [];
  for (const m of prose(text).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = m[1] ?? '';
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    links.push(target);
  }
  return links;
}

describe('README and docs links', () => {
  const files = markdownFiles();

  it('keeps the README at most 20,000 characters', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect([...readme].length).toBeLessThanOrEqual(README_LIMIT);
  });

  it('finds the documents and their links', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/operations.md', 'docs/development.md']));
    expect(relativeLinks(readFileSync(join(ROOT, 'README.md'), 'utf8')).length).toBeGreaterThan(10);
  });

  it('resolves every relative link to an existing file and heading', () => {
    const broken: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const link of relativeLinks(text)) {
        const [pathPart = '', anchor] = link.split('#', 2);
        const target = pathPart === '' ? join(ROOT, file) : join(ROOT, dirname(file), decodeURIComponent(pathPart));
        if (!existsSync(target)) {
          broken.push(`${file}: ${link} (no such file)`);
          continue;
        }
        if (anchor === undefined || !target.endsWith('.md')) continue;
        if (!anchorsOf(readFileSync(target, 'utf8')).has(decodeURIComponent(anchor).toLowerCase())) {
          broken.push(`${file}: ${link} (no such heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('checks what it claims: a missing file and a missing heading are found', () => {
    expect(relativeLinks('[a](x.md) [b](https://example.org/) `[c](y.md)` [d](#top)')).toEqual(['x.md', '#top']);
    expect(anchorsOf('# Backup and restore drill\n## 設定の確認 (`/admin`)\n## Again\n## Again')).toEqual(new Set(['backup-and-restore-drill', '設定の確認-admin', 'again', 'again-1']));
  });
});
