import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package folder (where package.json is), from src/ under tests or dist/src/ when built. */
function findRoot(from: string): string {
  let dir = dirname(from);
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package root not found');
    dir = up;
  }
  return dir;
}

export const PACKAGE_ROOT = findRoot(fileURLToPath(import.meta.url));
export const packagePath = (...parts: string[]): string => join(PACKAGE_ROOT, ...parts);
