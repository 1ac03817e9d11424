import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

describe('door settings from the environment', () => {
  it('has no door by default, and the documented defaults for how one is driven', () => {
    expect(loadConfig({}).door).toEqual({
      relayPath: undefined,
      relay: { channel: 1, openState: 0x01, pulseMs: 3000 },
      sensorPath: undefined,
      sensor: { line: 'dcd', closedLevel: true },
      heldMs: 60_000,
      entryMs: 60_000,
    });
  });

  it('reads every door variable', () => {
    const door = loadConfig({
      MNVAULT_DOOR_RELAY: '/dev/mnvault-relay',
      MNVAULT_DOOR_RELAY_CHANNEL: '3',
      MNVAULT_DOOR_RELAY_OPEN: '00',
      MNVAULT_DOOR_PULSE_MS: '1500',
      MNVAULT_DOOR_SENSOR: '/dev/mnvault-door',
      MNVAULT_DOOR_SENSOR_LINE: 'cts',
      MNVAULT_DOOR_CLOSED_LEVEL: 'low',
      MNVAULT_DOOR_HELD_SECONDS: '120',
      MNVAULT_DOOR_ENTRY_SECONDS: '30',
    }).door;
    expect(door).toEqual({
      relayPath: '/dev/mnvault-relay',
      relay: { channel: 3, openState: 0x00, pulseMs: 1500 },
      sensorPath: '/dev/mnvault-door',
      sensor: { line: 'cts', closedLevel: false },
      heldMs: 120_000,
      entryMs: 30_000,
    });
  });

  it('reports every bad value at once, in Japanese, naming each variable', () => {
    let message = '';
    try {
      loadConfig({
        MNVAULT_DOOR_RELAY: 'ttyUSB0',
        MNVAULT_DOOR_RELAY_CHANNEL: '9',
        MNVAULT_DOOR_RELAY_OPEN: 'on',
        MNVAULT_DOOR_PULSE_MS: '3s',
        MNVAULT_DOOR_SENSOR_LINE: 'rts',
        MNVAULT_DOOR_CLOSED_LEVEL: '1',
        MNVAULT_DOOR_HELD_SECONDS: '0',
        MNVAULT_DOOR_ENTRY_SECONDS: '-5',
      });
    } catch (err) {
      expect(err).toMatchObject({ code: 'invalid' });
      message = (err as { publicMessage: string }).publicMessage;
    }
    expect(message).toContain('MNVAULT_DOOR_RELAY: シリアル機器の絶対パス');
    expect(message).toContain('MNVAULT_DOOR_RELAY_CHANNEL: リレーのチャンネル番号は 1〜8 の整数で指定してください（指定: "9"）');
    expect(message).toContain('MNVAULT_DOOR_RELAY_OPEN: 解錠するときの状態バイトを 01 か 00 で');
    expect(message).toContain('MNVAULT_DOOR_PULSE_MS: 解錠パルスの長さ（ミリ秒）は 100〜60000 の整数');
    expect(message).toContain('MNVAULT_DOOR_SENSOR_LINE: 扉センサーをつないだ信号線を cts・dsr・dcd');
    expect(message).toContain('MNVAULT_DOOR_CLOSED_LEVEL: 扉が閉じているときの信号を high か low');
    expect(message).toContain('MNVAULT_DOOR_HELD_SECONDS: 開放し続けを警報するまでの秒数は 5〜3600');
    expect(message).toContain('MNVAULT_DOOR_ENTRY_SECONDS: 承認後に扉を開けてよい秒数は 5〜3600');
  });
});
