import type { PinPadPort } from '../domain/ports.js';
import { DEFAULT_WINDOWS, type GateWindows } from '../gate/requests.js';
import { PinPadEntry } from '../gate/pinpad-entry.js';
import { approveWithPin, type PinApprovalStore, type RevealStore } from './gate.js';
import type { CardIntakeDesk } from './card-intake-desk.js';
import type { EnrolmentDesk } from './key-enrolment.js';
import type { PinEnrolmentDesk } from './pin-enrolment.js';

export type PinPadStatus = { state: 'waiting_code' | 'waiting_pin' | 'approved' | 'refused' | 'disconnected' | 'enrolling'; message: string };

/**
 * Wires a PIN pad to the gate: lines (decoded by the pad's adapter) → code and
 * PIN → approval. Approvals run one at a time; an unplugged pad forgets the entry.
 */
export function attachPinPad(
  vault: PinApprovalStore,
  store: RevealStore,
  pad: PinPadPort,
  device: string,
  windows: GateWindows = DEFAULT_WINDOWS,
  onStatus: (s: PinPadStatus) => void = () => {},
  enrolments?: EnrolmentDesk,
  /** Called with the time of each key press, never the key: the setup page's "press a key" test. */
  onActivity: (at: number) => void = () => {},
  /** 「カードで取得」: a code naming a card intake takes the card's 4-digit PIN, not a handler's. */
  cards?: Pick<CardIntakeDesk, 'has' | 'complete'>,
  /** PINの登録: a code naming a PIN enrolment takes the handler's new PIN twice. */
  pins?: Pick<PinEnrolmentDesk, 'has' | 'complete'>,
): void {
  const entry = new PinPadEntry(30_000, (code) => pins?.has(code, vault.clock.now().getTime()) ?? false);
  let busy: Promise<void> = Promise.resolve();
  pad.listen((inputs) => {
    for (const input of inputs) {
      if (input.type === 'unplugged') {
        entry.reset();
        onStatus({ state: 'disconnected', message: 'PINパッドが外れました。入力は破棄しました。' });
        continue;
      }
      if (input.type === 'garbled') {
        // A malformed report from the device: drop what was typed.
        entry.reset();
        continue;
      }
      if (input.type === 'keys') {
        onActivity(vault.clock.now().getTime());
        continue;
      }
      const step = entry.line(input.text, vault.clock.now().getTime());
      if (step.step === 'pin_again') onStatus({ state: 'waiting_pin', message: '確認のため、同じPINをもう一度入力してEnterを押してください。' });
      else if (step.step === 'pin') onStatus({ state: 'waiting_pin', message: 'PINを入力してEnterを押してください。' });
      else if (step.step === 'rejected') onStatus({ state: 'refused', message: step.reason === 'timeout' ? '時間切れです。申請番号からやり直してください。' : '申請番号は6桁です。' });
      else if (step.step === 'submit') {
        busy = busy.then(async () => {
          try {
            if (step.again && pins) {
              try {
                await pins.complete(step.code, step.pin, step.again, device);
              } finally {
                step.again.wipe();
              }
              onStatus({ state: 'approved', message: 'PINを登録しました。次の承認から新しいPINを使ってください。' });
              return;
            }
            if (cards?.has(step.code, vault.clock.now().getTime())) {
              cards.complete(step.code, step.pin);
              onStatus({ state: 'approved', message: 'カードを読み取っています。カードをリーダーから離さないでください。' });
              return;
            }
            if (enrolments?.has(step.code, vault.clock.now().getTime())) {
              onStatus({ state: 'enrolling', message: 'セキュリティキーを登録します。キーが点滅したらタッチしてください（2回）。' });
              await enrolments.complete(step.code, step.pin, vault.clock.now().getTime());
              onStatus({ state: 'approved', message: 'セキュリティキーを登録しました。' });
              return;
            }
            await approveWithPin(vault, store, { code: step.code, pin: step.pin, device }, windows);
            onStatus({ state: 'approved', message: '承認しました。入室を記録しました。' });
          } catch (err) {
            onStatus({ state: 'refused', message: (err as { publicMessage?: string }).publicMessage ?? '承認できませんでした。' });
          } finally {
            step.pin.wipe();
          }
        });
      }
    }
  });
}
