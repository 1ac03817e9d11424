import { describe, expect, it } from 'vitest';
import { databaseAtVersion } from '../helpers/migrations.js';

describe('migration 181: gate requests of kind filing', () => {
  it('keeps every request and column as it was, and then accepts a filing request', () => {
    const { db, migrateAll } = databaseAtVersion(180);
    db.prepare("INSERT INTO users (id, login, display_name, role, password_hash, created_at) VALUES ('u1', 'tanto', '担当', 'handler', 'x', '2026-01-01')").run();
    const insert = (kind: string) =>
      db
        .prepare(
          `INSERT INTO gate_requests (code, kind, handler_id, person_ids, purpose, note, state, created_at, approve_by, export_encoding, wrong_pins, refusal)
           VALUES ('123456', ?, 'u1', '[1,2]', 'withholding_slip', '2025年分', 'expired', '2026-01-01', '2026-01-01', 'shift_jis', 2, 'wrong_pin')`,
        )
        .run(kind);
    insert('export');
    expect(() => insert('filing')).toThrow(/CHECK constraint/u);
    const before = db.prepare('SELECT * FROM gate_requests').all();

    migrateAll();
    expect(db.prepare('SELECT * FROM gate_requests').all()).toEqual(before);
    insert('filing');
    expect(db.prepare('SELECT kind FROM gate_requests ORDER BY id').pluck().all()).toEqual(['export', 'filing']);
    const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'gate_requests' AND sql IS NOT NULL ORDER BY name").pluck().all();
    expect(indexes).toEqual(['gate_requests_handler', 'gate_requests_handler_recent', 'gate_requests_open_code']);
  });
});
