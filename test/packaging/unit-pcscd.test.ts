import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { privatePcscdProblem } from '../../src/devices/private-pcscd.js';
import { packagePath } from '../../src/paths.js';
import { usePcscd } from '../helpers/virtual-card.js';

const UNIT = packagePath('systemd', 'mnvault.service');
const missing = privatePcscdProblem();

describe('the service’s sandbox and pcscd’s socket (the card reader)', () => {
  it('orders the service after pcscd.socket and hides nothing of /run/pcscd', () => {
    const lines = readFileSync(UNIT, 'utf8').split('\n');
    for (const line of ['Wants=pcscd.socket', 'After=pcscd.socket', 'ProtectSystem=strict', 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK']) expect(lines, line).toContain(line);
    // What would take the socket away: /run or /run/pcscd made inaccessible, replaced or re-rooted.
    for (const l of lines.filter((x) => /^(InaccessiblePaths|TemporaryFileSystem|ReadWritePaths|BindPaths|BindReadOnlyPaths|RootDirectory|RootImage)=/u.test(x))) {
      expect(l).not.toMatch(/\/run(\/pcscd)?(\s|$|:)/u);
    }
  });

  it('has install.sh install pcscd, the CCID driver and the binding\'s build headers, and enable pcscd.socket', () => {
    const r = spawnSync('bash', ['-c', '. "$0" && printf "%s\\n" "${MNV_INSTALL_PACKAGES[@]}"', packagePath('scripts', 'lib', 'mnvault.sh')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(expect.arrayContaining(['pcscd', 'libccid', 'libpcsclite-dev']));
    expect(readFileSync(packagePath('scripts', 'install.sh'), 'utf8')).toMatch(/^\s*systemctl enable --now pcscd\.socket/mu);
  });

  describe.skipIf(missing)(`as the service sees it${missing ? ` (skipped: ${missing})` : ''}`, () => {
    const pcsc = usePcscd();
    it('reaches pcscd from an unprivileged user on a read-only view of the socket’s folder (ProtectSystem=strict)', () => {
      void pcsc;
      const socket = process.env.PCSCLITE_CSOCK_NAME!;
      // /run/pcscd is 0755 on the appliance; the private daemon's temp folders are 0700.
      chmodSync(dirname(socket), 0o755);
      chmodSync(dirname(dirname(socket)), 0o755);
      const script = `import(${JSON.stringify(packagePath('dist', 'src', 'devices', 'pcsc.js'))}).then((m) => { const r = new m.PcscCardReaders(); console.log(JSON.stringify(r.state())); r.close(); })`;
      const r = spawnSync(
        'unshare',
        ['-m', '--propagation', 'private', 'sh', '-c', 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && exec setpriv --reuid=65534 --regid=65534 --clear-groups "$2" -e "$3"', 'sh', dirname(socket), process.execPath, script],
        { encoding: 'utf8', env: { ...process.env, PCSCLITE_CSOCK_NAME: socket } },
      );
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ service: 'running', readers: [{ name: 'Virtual PCD 00 00', card: false }, { name: 'Virtual PCD 00 01', card: false }] });
    });
  });
});
