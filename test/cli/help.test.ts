import { describe, expect, it } from 'vitest';
import { mnvault } from '../helpers/cli.js';

/** Every subcommand the CLI dispatches (src/cli/main.ts). */
const COMMANDS = ['init', 'serve', 'import', 'audit', 'report', 'demo', 'pinpad', 'door', 'backup', 'restore', 'rekey', 'rotate-vault-key', 'bench'];

describe('help on each subcommand', () => {
  it.each(COMMANDS)('mnvault %s --help prints its usage in Japanese and exits 0', (cmd) => {
    const r = mnvault([cmd, '--help']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('使い方:');
    expect(r.stdout).toMatch(new RegExp(`^ {2}mnvault ${cmd} `, 'mu'));
    // Only that command's lines.
    for (const line of r.stdout.split('\n').filter((l) => /^ {2}mnvault /u.test(l))) expect(line).toMatch(new RegExp(`^ {2}mnvault ${cmd} `, 'u'));
  });

  it('answers --help after other options, and -h, without touching any vault', () => {
    const r = mnvault(['restore', '--from', '/nonexistent/x.db', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('mnvault restore --from FILE');
    expect(mnvault(['audit', 'verify', '-h']).stdout).toContain('mnvault audit verify');
  });

  it('mnvault help CMD is the same text', () => {
    const r = mnvault(['help', 'rotate-vault-key']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(mnvault(['rotate-vault-key', '--help']).stdout);
  });

  it('refuses help for an unknown command with exit 2', () => {
    const r = mnvault(['help', 'nope']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('不明なコマンド「nope」');
  });
});
