import type { Db } from './database.js';

export type Role = 'admin' | 'handler' | 'auditor';

export interface UserRow {
  id: string;
  login: string;
  displayName: string;
  role: Role;
  passwordHash: string;
  disabledAt: string | null;
  createdAt: string;
}

interface Raw {
  id: string;
  login: string;
  display_name: string;
  role: Role;
  password_hash: string;
  disabled_at: string | null;
  created_at: string;
}

const toUser = (r: Raw): UserRow => ({
  id: r.id,
  login: r.login,
  displayName: r.display_name,
  role: r.role,
  passwordHash: r.password_hash,
  disabledAt: r.disabled_at,
  createdAt: r.created_at,
});

export class UsersRepo {
  constructor(private readonly db: Db) {}

  insert(u: UserRow): void {
    this.db
      .prepare(
        `INSERT INTO users (id, login, display_name, role, password_hash, disabled_at, created_at)
         VALUES (@id, @login, @displayName, @role, @passwordHash, @disabledAt, @createdAt)`,
      )
      .run(u);
  }

  byLogin(login: string): UserRow | undefined {
    const r = this.db.prepare('SELECT * FROM users WHERE login = ?').get(login) as Raw | undefined;
    return r && toUser(r);
  }

  byId(id: string): UserRow | undefined {
    const r = this.db.prepare('SELECT * FROM users WHERE id = ?').get(id) as Raw | undefined;
    return r && toUser(r);
  }
}
