import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { connectSimulator, readKeys } from '../../src/cli/simulator-terminal.js';
import { tempDir } from '../helpers/vault.js';

describe('the simulators’ terminal', () => {
  it('passes each key on until Ctrl+C, and nothing typed after it', async () => {
    const stdin = new PassThrough();
    const keys: string[] = [];
    const done = readKeys(new EventEmitter(), (ch) => keys.push(ch), stdin);
    stdin.write('o1\r');
    stdin.write('c\x03x');
    await done;
    stdin.write('y');
    expect(keys).toEqual(['o', '1', '\r', 'c']);
    expect(stdin.listenerCount('data')).toBe(0);
  });

  it('stops when the device’s socket closes or input ends', async () => {
    const device = new EventEmitter();
    const closed = readKeys(device, () => undefined, new PassThrough());
    device.emit('close');
    await closed;
    const stdin = new PassThrough();
    const ended = readKeys(new EventEmitter(), () => undefined, stdin);
    stdin.end();
    await ended;
  });

  it('names a simulator that is not running', async () => {
    await expect(connectSimulator(join(tempDir(), 'none.sock'), '模擬の扉がありません。')).rejects.toMatchObject({ code: 'device_unavailable', publicMessage: '模擬の扉がありません。' });
  });
});
