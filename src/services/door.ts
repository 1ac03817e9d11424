import { DoorMonitor, pollDoor, pulseRelay, type DoorEvent } from '../devices/door-monitor.js';
import { logEvent, type LogLevel } from '../log.js';
import type { ModemLines, SerialLine } from '../domain/ports.js';
import type { RelayConfig } from '../devices/relay.js';
import { SYSTEM_ACTOR, type AuditEventInput } from '../domain/audit-events.js';
import { AppError, errorCode } from '../domain/errors.js';
import type { GateRequest } from '../gate/requests.js';
import { writeTransaction } from '../storage/database.js';
import type { DoorAlarmKind } from '../storage/door-repo.js';
import type { UserView } from '../domain/users.js';
import { actorOf } from './accounts.js';
import { checkNote, type RevealStore } from './gate.js';
import type { Vault } from './vault.js';

/** The part of the vault `the constructor` and `acknowledgeAlarm` use. */
export type DoorStore = Pick<Vault, 'db' | 'doorAlarms' | 'audit' | 'clock'>;

/** The door's devices as the wiring point made them (real serial ports, or the simulator). */
export interface DoorDevices {
  relay?: { line: Pick<SerialLine, 'write'>; config: RelayConfig; pulseMs: number; device: string } | undefined;
  sensor?: { source: Pick<SerialLine, 'get'>; line: keyof ModemLines; closedLevel: boolean; device: string; intervalMs?: number } | undefined;
  /** An open door past this is a held-open alarm. */
  heldMs: number;
  /** After an approval the door may open for this long. */
  entryMs: number;
  /** Development devices (shown as such on the dashboard). */
  simulated?: boolean;
}

export interface DoorStatus {
  relay: 'none' | 'ready' | 'failed';
  sensor: 'none' | 'unknown' | 'open' | 'closed' | 'failed';
  simulated: boolean;
  /** A door event or alarm could not be written to the trail (see the service log). */
  recordFailed: boolean;
}

export type DoorLog = (entry: Record<string, string | number | boolean | null>) => void;

/** The service log (src/log.ts): one JSON line on stderr, as every other log line. */
const defaultLog: DoorLog = ({ level, event, ...fields }) => logEvent(level as LogLevel, String(event), fields);

/** A device error as a short reason for the trail: its code, never a long message or a digit run. */
function reasonOf(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  const text = typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
  return text.replace(/[0-9]{6,}/gu, '…').slice(0, 120);
}

/**
 * The door of the 管理区域. Each committed approval allows entry for the
 * entry window and pulses the strike relay; the reed switch is polled and
 * its story (opened, closed, held, forced) goes into the audit trail. Held and
 * forced openings, sensor failures and relay failures are alarms that stay
 * on the admins' home page until acknowledged. A relay failure never undoes
 * the approval (it has committed); it is audited and raised instead.
 */
export class DoorService {
  readonly #monitor: DoorMonitor;
  readonly #abort = new AbortController();
  #pulses: Promise<void> = Promise.resolve();
  #stopPolling: (() => void) | undefined;
  #stopped = false;
  #sensor: DoorStatus['sensor'];
  #sensorFailing = false;
  #relayFailed = false;
  #recordFailed = false;
  #lastApproval: { requestId: number; until: number } | undefined;

  constructor(
    private readonly vault: DoorStore,
    private readonly devices: DoorDevices,
    private readonly log: DoorLog = defaultLog,
  ) {
    this.#monitor = new DoorMonitor(devices.heldMs);
    this.#sensor = devices.sensor ? 'unknown' : 'none';
  }

  /** Listens to the gate: every committed approval is an entry. */
  attach(store: RevealStore): this {
    store.onApproved((r) => this.approved(r));
    return this;
  }

  /** Starts polling the sensor, if there is one. */
  start(): this {
    const sensor = this.devices.sensor;
    if (!sensor || this.#stopPolling) return this;
    const source = {
      get: async () => {
        const lines = await sensor.source.get();
        this.#read(lines[sensor.line] !== sensor.closedLevel);
        return lines;
      },
    };
    this.#stopPolling = pollDoor(
      source,
      { line: sensor.line, closedLevel: sensor.closedLevel, intervalMs: sensor.intervalMs ?? 200 },
      this.#monitor,
      (events) => this.#doorEvents(events),
      (err) => this.#sensorFailed(err),
      () => this.vault.clock.now().getTime(),
    );
    return this;
  }

  status(): DoorStatus {
    return {
      relay: this.devices.relay ? (this.#relayFailed ? 'failed' : 'ready') : 'none',
      sensor: this.#sensor,
      simulated: this.devices.simulated ?? false,
      recordFailed: this.#recordFailed,
    };
  }

  /** An approval has committed: the door may open for the entry window, and the strike is pulsed. */
  approved(r: GateRequest): void {
    const until = this.vault.clock.now().getTime() + this.devices.entryMs;
    this.#monitor.allowEntry(until);
    this.#lastApproval = { requestId: r.id, until };
    const relay = this.devices.relay;
    if (relay && !this.#stopped) this.#pulses = this.#pulses.then(() => this.#pulse(relay, r.id));
  }

  /**
   * An admin's test of the strike (setup, maintenance; the caller has audited it):
   * the door may open for the entry window and the relay is pulsed once.
   * Resolves when the pulse has finished; a failing relay is raised as on an approval.
   */
  testPulse(): Promise<void> {
    const relay = this.devices.relay;
    if (!relay) throw new AppError('conflict', '扉の電気錠（リレー）が設定されていないため、テスト解錠はできません（MNVAULT_DOOR_RELAY）。');
    if (this.#stopped) throw new AppError('device_unavailable', '扉の制御は停止しています。');
    this.#monitor.allowEntry(this.vault.clock.now().getTime() + this.devices.entryMs);
    this.#pulses = this.#pulses.then(() => this.#pulse(relay, null));
    return this.#pulses;
  }

  /** The relay's device name, for the audit event of a test pulse; undefined without a relay. */
  relayDevice(): string | undefined {
    return this.devices.relay?.device;
  }

  /** Resolves when every pulse asked for so far has finished (tests, shutdown). */
  idle(): Promise<void> {
    return this.#pulses;
  }

  /** Stops polling; a pulse under way locks the strike at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopPolling?.();
    this.#abort.abort();
    await this.#pulses;
  }

  async #pulse(relay: NonNullable<DoorDevices['relay']>, requestId: number | null): Promise<void> {
    let phase: 'unlock' | 'lock' = 'unlock';
    let writes = 0;
    const tracked = {
      write: (bytes: Uint8Array) => {
        phase = writes++ === 0 ? 'unlock' : 'lock';
        return relay.line.write(bytes);
      },
    };
    try {
      await pulseRelay(tracked, relay.config, relay.pulseMs, (ms) => this.#sleep(ms));
      this.#relayFailed = false;
    } catch (err) {
      this.#relayFailed = true;
      const detail = { request_id: requestId, phase, reason: reasonOf(err) };
      this.log({ level: 'error', device: relay.device, event: 'relay_failed', phase, reason: detail.reason });
      this.#raise('relay_failed', { action: 'door.relay_failed', device: relay.device, detail });
    }
  }

  /** Waits between polls; the stop signal cuts it short. Leaves no listener behind (it runs five times a second, for months). */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.#abort.signal;
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  #read(open: boolean): void {
    this.#sensor = open ? 'open' : 'closed';
    if (!this.#sensorFailing) return;
    this.#sensorFailing = false;
    this.#record([{ action: 'door.sensor_restored', device: this.devices.sensor!.device }]);
  }

  #sensorFailed(err: unknown): void {
    this.#sensor = 'failed';
    if (this.#sensorFailing) return;
    this.#sensorFailing = true;
    const reason = reasonOf(err);
    this.log({ level: 'error', device: this.devices.sensor!.device, event: 'sensor_failed', reason });
    this.#raise('sensor_failed', { action: 'door.sensor_failed', device: this.devices.sensor!.device, detail: { reason } });
  }

  #doorEvents(events: DoorEvent[]): void {
    const device = this.devices.sensor!.device;
    const now = this.vault.clock.now();
    const forced = events.some((e) => e.type === 'forced');
    const approval = this.#lastApproval && this.#lastApproval.until >= now.getTime() ? this.#lastApproval.requestId : null;
    const at = now.toISOString();
    this.#write(
      () => {
        for (const e of events) {
          if (e.type === 'opened') this.vault.audit.append({ actor: SYSTEM_ACTOR, action: 'door.opened', device, detail: { authorised: !forced, request_id: forced ? null : approval } });
          else if (e.type === 'closed') this.vault.audit.append({ actor: SYSTEM_ACTOR, action: 'door.closed', device });
          else if (e.type === 'forced') {
            const alarmId = this.vault.doorAlarms.insert('forced', at);
            this.vault.audit.append({ actor: SYSTEM_ACTOR, action: 'door.forced', device, detail: { alarm_id: alarmId } });
          } else {
            const openSeconds = Math.round(e.openMs / 1000);
            const alarmId = this.vault.doorAlarms.insert('held', at, { open_seconds: openSeconds });
            this.vault.audit.append({ actor: SYSTEM_ACTOR, action: 'door.held', device, detail: { alarm_id: alarmId, open_seconds: openSeconds } });
          }
        }
      },
      events.map((e) => e.type).join(','),
    );
  }

  /** An alarm and its audit event, together. */
  #raise(kind: DoorAlarmKind, event: Omit<AuditEventInput, 'actor'> & { detail: Record<string, string | number | null> }): void {
    const at = this.vault.clock.now().toISOString();
    this.#write(() => {
      const alarmId = this.vault.doorAlarms.insert(kind, at, event.detail);
      this.vault.audit.append({ ...event, actor: SYSTEM_ACTOR, detail: { alarm_id: alarmId, ...event.detail } });
    }, kind);
  }

  #record(events: Omit<AuditEventInput, 'actor'>[]): void {
    this.#write(
      () => {
        for (const e of events) this.vault.audit.append({ ...e, actor: SYSTEM_ACTOR });
      },
      events.map((e) => e.action).join(','),
    );
  }

  /** Door facts go to the trail; if that fails the dashboard says so and the log keeps what was lost. */
  #write(fn: () => void, what: string): void {
    if (this.#stopped && !this.vault.db.open) {
      this.log({ level: 'error', device: 'door', event: 'not_recorded_after_stop', what });
      return;
    }
    try {
      writeTransaction(this.vault.db, fn);
      this.#recordFailed = false;
    } catch (err) {
      this.#recordFailed = true;
      this.log({ level: 'error', device: 'door', event: 'not_recorded', what, code: errorCode(err) });
    }
  }
}

/**
 * An admin acknowledges an alarm with a short note of what was done. The
 * acknowledgement and its audit event commit together, or neither does.
 */
export function acknowledgeAlarm(vault: DoorStore, admin: UserView, alarmId: number, input: { note?: string }, client: string | null): void {
  const alarm = vault.doorAlarms.byId(alarmId);
  if (!alarm) throw new AppError('not_found', '指定された警報はありません。');
  const note = checkNote(input.note);
  if (!note) throw new AppError('invalid', '確認した内容や対応をメモに書いてください（例: 搬入のため開放、施錠を確認）。');
  const at = vault.clock.now().toISOString();
  writeTransaction(vault.db, () => {
    if (!vault.doorAlarms.acknowledge(alarm.id, admin.id, at, note)) throw new AppError('conflict', 'この警報は既に確認済みです。');
    vault.audit.append({ actor: actorOf(admin), action: 'door.alarm_acknowledged', client, detail: { alarm_id: alarm.id, kind: alarm.kind, note } });
  });
}
