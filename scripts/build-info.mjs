// Writes build-info.json into the built tree (default dist/, or the folder given) after `tsc`: the git
// commit the build came from and whether tracked files had local changes (both null outside a git
// checkout), and the package version, so `mnvault support-bundle` can say what is running. Nothing
// time-dependent, so building the same commit twice gives the same file.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const out = process.argv[2] ?? 'dist';
let commit = null;
let dirty = null;
try {
  commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
} catch {
  // Not a git checkout (a release tarball): the commit stays unknown.
}
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
writeFileSync(join(out, 'build-info.json'), `${JSON.stringify({ version, commit, dirty }, null, 2)}\n`);
