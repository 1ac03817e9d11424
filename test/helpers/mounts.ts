import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statfsSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { tempDir } from './vault.js';

/**
 * Fault injection with real mounts (the tests run as root, where chmod does
 * not stop a write): a small tmpfs that fills up, and a read-only bind mount.
 */
const mounted: string[] = [];
afterEach(() => {
  while (mounted.length) {
    const m = mounted.pop()!;
    try {
      execFileSync('umount', ['-l', m]);
    } catch {
      // already gone
    }
  }
});

export function canMount(): boolean {
  return process.getuid?.() === 0;
}

/** A fresh tmpfs of `sizeKb` KiB, unmounted after the test. */
export function smallTmpfs(sizeKb: number): string {
  const dir = join(tempDir('mnvault-tmpfs-'), 'mnt');
  mkdirSync(dir);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k,mode=0700`, 'tmpfs', dir]);
  mounted.push(dir);
  return dir;
}

/** A read-only view of `source` (a bind mount remounted read-only), unmounted after the test. */
export function readOnlyView(source: string): string {
  const dir = join(tempDir('mnvault-ro-'), 'ro');
  mkdirSync(dir);
  execFileSync('mount', ['--bind', source, dir]);
  mounted.push(dir);
  execFileSync('mount', ['-o', 'remount,bind,ro', dir]);
  return dir;
}

/** Writes `path` until the file system says ENOSPC. */
export function fillDisk(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024, 0x55);
  try {
    for (;;) {
      const free = statfsSync(path).bavail * statfsSync(path).bsize;
      writeSync(fd, free < chunk.length ? chunk.subarray(0, Math.max(1, free)) : chunk);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}

/** True when a loop-mounted ext4 can be made (root, loop devices, mkfs.ext4 from e2fsprogs). */
export function canMountExt4(): boolean {
  if (!canMount() || !existsSync('/dev/loop-control')) return false;
  try {
    execFileSync('mkfs.ext4', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * A small ext4 file system on a loop device, mounted with errors=remount-ro,
 * unmounted after the test. goReadOnly() raises an ext4 error through sysfs:
 * the kernel remounts it read-only under open files, as it does when a disk
 * fails (writes then end in EROFS), which no chmod or remount can do while
 * files are open for writing.
 */
export function failingExt4(sizeMb = 40): { dir: string; goReadOnly(): void } {
  const base = tempDir('mnvault-ext4-');
  const image = join(base, 'disk.img');
  const dir = join(base, 'mnt');
  mkdirSync(dir);
  closeSync(openSync(image, 'w'));
  execFileSync('truncate', ['-s', `${sizeMb}M`, image]);
  execFileSync('mkfs.ext4', ['-q', image]);
  execFileSync('mount', ['-o', 'loop,errors=remount-ro', image, dir]);
  mounted.push(dir);
  const device = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .find((f) => f[1] === dir)?.[0];
  return {
    dir,
    goReadOnly() {
      writeFileSync(`/sys/fs/ext4/${device!.replace('/dev/', '')}/trigger_fs_error`, '1');
    },
  };
}
