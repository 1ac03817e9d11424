import type { Db } from './database.js';

/** vault_meta (identity and public key) and vault_keys (wrapped service keys). */
export class MetaRepo {
  constructor(private readonly db: Db) {}

  get(key: string): string | undefined {
    return this.db.prepare('SELECT value FROM vault_meta WHERE key = ?').pluck().get(key) as string | undefined;
  }

  set(key: string, value: string): void {
    this.db.prepare('INSERT INTO vault_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  wrappedKey(name: string): Buffer | undefined {
    return this.db.prepare('SELECT wrapped FROM vault_keys WHERE name = ?').pluck().get(name) as Buffer | undefined;
  }

  delete(key: string): void {
    this.db.prepare('DELETE FROM vault_meta WHERE key = ?').run(key);
  }

  deleteWrappedKey(name: string): void {
    this.db.prepare('DELETE FROM vault_keys WHERE name = ?').run(name);
  }

  putWrappedKey(name: string, wrapped: Buffer): void {
    this.db.prepare('INSERT INTO vault_keys (name, wrapped) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET wrapped = excluded.wrapped').run(name, wrapped);
  }
}
