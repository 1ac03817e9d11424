import type { Db } from './database.js';

export type DoorAlarmKind = 'held' | 'forced' | 'sensor_failed' | 'relay_failed';

export interface DoorAlarm {
  id: number;
  kind: DoorAlarmKind;
  at: string;
  detail: Record<string, string | number | boolean | null>;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  /** The acknowledging admin's name as it is now. */
  acknowledgedByName: string | null;
  note: string | null;
}

interface Raw {
  id: number;
  kind: DoorAlarmKind;
  at: string;
  detail: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  acknowledged_by_name: string | null;
  note: string | null;
}

const toAlarm = (r: Raw): DoorAlarm => ({
  id: r.id,
  kind: r.kind,
  at: r.at,
  detail: JSON.parse(r.detail) as DoorAlarm['detail'],
  acknowledgedAt: r.acknowledged_at,
  acknowledgedBy: r.acknowledged_by,
  acknowledgedByName: r.acknowledged_by_name,
  note: r.note,
});

const SELECT = 'SELECT a.*, u.display_name AS acknowledged_by_name FROM door_alarms a LEFT JOIN users u ON u.id = a.acknowledged_by';

/** door_alarms: raised by the door service, acknowledged by an admin. */
export class DoorAlarmsRepo {
  constructor(private readonly db: Db) {}

  insert(kind: DoorAlarmKind, at: string, detail: DoorAlarm['detail'] = {}): number {
    return Number(this.db.prepare('INSERT INTO door_alarms (kind, at, detail) VALUES (?, ?, ?)').run(kind, at, JSON.stringify(detail)).lastInsertRowid);
  }

  byId(id: number): DoorAlarm | undefined {
    const r = this.db.prepare(`${SELECT} WHERE a.id = ?`).get(id) as Raw | undefined;
    return r && toAlarm(r);
  }

  byIds(ids: readonly number[]): Map<number, DoorAlarm> {
    if (ids.length === 0) return new Map();
    const rows = this.db.prepare(`${SELECT} WHERE a.id IN (${ids.map(() => '?').join(',')})`).all(...ids) as Raw[];
    return new Map(rows.map((r) => [r.id, toAlarm(r)]));
  }

  /** Unacknowledged alarms, newest first. */
  open(limit = 100): DoorAlarm[] {
    return (this.db.prepare(`${SELECT} WHERE a.acknowledged_at IS NULL ORDER BY a.at DESC, a.id DESC LIMIT ?`).all(limit) as Raw[]).map(toAlarm);
  }

  openCount(): number {
    return this.db.prepare('SELECT count(*) FROM door_alarms WHERE acknowledged_at IS NULL').pluck().get() as number;
  }

  /** Marks an open alarm acknowledged; false when it was not open (already acknowledged). */
  acknowledge(id: number, by: string, at: string, note: string): boolean {
    return this.db.prepare('UPDATE door_alarms SET acknowledged_at = ?, acknowledged_by = ?, note = ? WHERE id = ? AND acknowledged_at IS NULL').run(at, by, note, id).changes === 1;
  }
}
