import type { DoorAlarm } from '../storage/door-repo.js';
import type { EntryLogRow } from '../storage/entry-log-repo.js';
import type { Vault } from './vault.js';

export type { DoorAlarm, EntryLogRow };

/**
 * The entry log's read model (入退室記録): approvals at the appliance, door
 * events and alarms as the trail holds them, and the door alarms they name.
 * Reads only; alarms are acknowledged through services/door.ts.
 */
export class EntryRecords {
  constructor(private readonly repos: Pick<Vault, 'entryLog' | 'doorAlarms'>) {}

  /** How many entries fall in [from, to). */
  count(from: string, to: string): number {
    return this.repos.entryLog.count(from, to);
  }

  /** Entries in [from, to), newest first. */
  page(from: string, to: string, limit: number, offset: number): EntryLogRow[] {
    return this.repos.entryLog.page(from, to, limit, offset);
  }

  /** The alarms with these ids, by id. */
  alarms(ids: readonly number[]): Map<number, DoorAlarm> {
    return this.repos.doorAlarms.byIds(ids);
  }

  /** Alarms not yet acknowledged (counted in the navigation of those who acknowledge them). */
  openAlarmCount(): number {
    return this.repos.doorAlarms.openCount();
  }
}
