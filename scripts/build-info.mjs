// Writes dist/build-info.json after `tsc`: the git commit the build came from (null outside a
// git checkout) and the package version, so `mnvault support-bundle` can say what is running.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

let commit = null;
let dirty = null;
try {
  commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
} catch {
  // Not a git checkout (a release tarball): the commit stays unknown.
}
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
writeFileSync('dist/build-info.json', `${JSON.stringify({ version, commit, dirty, builtAt: new Date().toISOString() }, null, 2)}\n`);
