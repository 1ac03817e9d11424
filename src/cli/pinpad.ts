import { connect } from 'node:net';
import type { Config } from '../config.js';
import { AppError } from '../domain/errors.js';
import { parse } from './args.js';
import { packagePath } from '../paths.js';
import { pinPadSocketPath } from './serve.js';
import { simulatedKeySocketPath } from '../devices/key-simulator.js';
import { connectSimulator, readKeys } from './simulator-terminal.js';

// Keys of the terminal mapped to the usages a USB keypad sends (HID page 0x07).
const USAGE: Record<string, number> = {
  '1': 0x59, '2': 0x5a, '3': 0x5b, '4': 0x5c, '5': 0x5d, '6': 0x5e, '7': 0x5f, '8': 0x60, '9': 0x61, '0': 0x62,
  '\r': 0x58, '\n': 0x58, '\x7f': 0x2a, '\b': 0x2a, '\x1b': 0x29,
};

const report = (usage: number) => Buffer.from([0, 0, usage, 0, 0, 0, 0, 0]);

/**
 * `mnvault pinpad`: a PIN pad in the terminal for development. Each key is sent
 * to the running server (`serve --simulate-devices`) as a keypad press and
 * release, exactly as a USB pad's reports; digits are echoed as dots.
 */
export async function pinpadCommand(argv: string[], config: Config, out: NodeJS.WritableStream): Promise<number> {
  if (config.mode === 'production') throw new AppError('forbidden', '本番モードでは模擬PINパッドを使えません。');
  const { values } = parse(argv, { data: { type: 'string' } });
  // The demo's folder unless told otherwise, like `mnvault demo`.
  const dataDir = values.data ?? config.dataDir ?? packagePath('demo-data');
  const path = pinPadSocketPath(dataDir);
  const socket = await connectSimulator(path, `模擬PINパッドの接続先（${path}）がありません。mnvault serve --simulate-devices（または mnvault demo）を先に起動してください。`);
  out.write('模擬PINパッド: 申請番号 Enter、PIN Enter。Backspace で1文字消去、Esc で取り消し、t で模擬セキュリティキーにタッチ、Ctrl+C で終了。\n');
  const keySocket = connect(simulatedKeySocketPath(dataDir));
  keySocket.on('error', () => undefined);
  keySocket.setEncoding('utf8');
  keySocket.on('data', (answer: string) => {
    for (const line of answer.split('\n').filter(Boolean)) out.write(line === 'touched' ? '  (キーにタッチしました)\n' : '  (キーはタッチを待っていません)\n');
  });
  await readKeys(socket, (ch) => {
    if (ch === 't' || ch === 'T') {
      keySocket.write('touch\n');
      return;
    }
    const usage = USAGE[ch];
    if (usage === undefined) return;
    socket.write(Buffer.concat([report(usage), report(0)]));
    out.write(/[0-9]/u.test(ch) ? '•' : usage === 0x58 ? '  ⏎\n' : usage === 0x29 ? '  (取消)\n' : '\b \b');
  });
  socket.end();
  keySocket.destroy();
  out.write('\n終了しました。\n');
  return 0;
}
