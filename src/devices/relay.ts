/**
 * LCUS-type USB serial relays (CH340, 9600 8N1): A0 ‖ relay ‖ state ‖ checksum,
 * checksum = (A0 + relay + state) & 0xFF. Boards disagree on whether state
 * 0x01 energises or releases the contact, so which byte opens the door is
 * configuration, and the relay is never trusted as a door sensor.
 */
export interface RelayConfig {
  /** Relay channel 1..8. */
  channel: number;
  /** The state byte that releases the door strike on this board. */
  openState: 0x00 | 0x01;
}

export function lcusCommand(channel: number, state: 0x00 | 0x01): Uint8Array {
  if (!Number.isInteger(channel) || channel < 1 || channel > 8) throw new RangeError(`relay channel must be 1..8, got ${channel}`);
  return Uint8Array.of(0xa0, channel, state, (0xa0 + channel + state) & 0xff);
}

/** The bytes of one strike pulse: open, then (after the pulse time) close. */
export function pulseCommands(config: RelayConfig): { open: Uint8Array; close: Uint8Array } {
  const closeState = config.openState === 0x01 ? 0x00 : 0x01;
  return { open: lcusCommand(config.channel, config.openState), close: lcusCommand(config.channel, closeState) };
}

/**
 * Reads LCUS commands out of received bytes (the simulated relay board's
 * side): each A0 ‖ relay ‖ state ‖ checksum frame with a good checksum;
 * bytes that do not start a frame are skipped. Returns the commands and the
 * unconsumed tail (an incomplete frame) to prepend to the next chunk.
 */
export function parseLcusCommands(bytes: Uint8Array): { commands: { channel: number; state: 0x00 | 0x01 }[]; rest: Uint8Array } {
  const commands: { channel: number; state: 0x00 | 0x01 }[] = [];
  let i = 0;
  while (i < bytes.length) {
    if (bytes[i] !== 0xa0) {
      i++;
      continue;
    }
    if (bytes.length - i < 4) break;
    const [channel, state, sum] = [bytes[i + 1]!, bytes[i + 2]!, bytes[i + 3]!];
    if ((state === 0x00 || state === 0x01) && channel >= 1 && channel <= 8 && sum === ((0xa0 + channel + state) & 0xff)) {
      commands.push({ channel, state });
      i += 4;
    } else {
      i++;
    }
  }
  return { commands, rest: bytes.slice(i) };
}
