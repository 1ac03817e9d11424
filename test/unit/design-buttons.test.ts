import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const VIEWS = join(fileURLToPath(import.meta.url), '..', '..', '..', 'views');

/** Every .ejs under views/, with its path relative to views/. */
function views(dir = VIEWS, prefix = ''): { name: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? views(join(dir, e.name), `${prefix}${e.name}/`) : e.name.endsWith('.ejs') ? [{ name: `${prefix}${e.name}`, text: readFileSync(join(dir, e.name), 'utf8') }] : [],
  );
}

describe('design system: buttons', () => {
  it('every button in the views is primary, secondary or danger (docs/design-system.md), and danger only on confirmation pages', () => {
    const unstyled: string[] = [];
    const danger: string[] = [];
    for (const v of views()) {
      // The opening tag up to its first '>' outside an EJS tag.
      for (const m of v.text.matchAll(/<button\b((?:<%[\s\S]*?%>|[^>])*)>/gu)) {
        const cls = /class="([^"]*)"/u.exec(m[1]!)?.[1] ?? '';
        if (!/\b(primary|secondary|danger)\b/u.test(cls)) unstyled.push(`${v.name}: ${m[0].slice(0, 80)}`);
        if (/\bdanger\b/u.test(cls) && !/confirm\.ejs$/u.test(v.name)) danger.push(v.name);
      }
    }
    expect(unstyled).toEqual([]);
    expect(danger).toEqual([]);
  });
});
