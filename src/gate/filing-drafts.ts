/**
 * Uploaded filing files waiting for review and approval, and the one-time
 * passwords of merged ones: held in this process's memory only, never on
 * disk, like the export file in RevealStore. A draft belongs to the handler
 * who uploaded it, lasts DRAFT_TTL_MS, and its bytes are zeroed when it goes.
 * The uploaded file carries no number (its number fields are empty), but it is
 * still personal data (names, pay) and is kept no longer than the work needs.
 */
import { randomBytes } from 'node:crypto';
import { AppError } from '../domain/errors.js';
import type { FilingKind, ParsedFiling } from '../domain/filing.js';
import type { FilingMatch } from '../domain/filing-match.js';
import type { PersonId } from '../domain/persons.js';
import type { HandoverPassword } from '../vault/handover-zip.js';

/** One filing file: the largest 法定調書 CSV of a big employer is a few MB. */
export const FILING_MAX_BYTES = 16 * 1024 * 1024;
/** All drafts together: a bound on what uploads can make this process hold. */
export const FILING_MAX_TOTAL_BYTES = 64 * 1024 * 1024;
/** How long an uploaded file waits for review and approval. */
export const DRAFT_TTL_MS = 60 * 60_000;

export interface FilingDraft {
  readonly id: string;
  readonly handlerId: string;
  readonly kind: FilingKind;
  readonly year: number | undefined;
  readonly bytes: Buffer;
  readonly filing: ParsedFiling;
  readonly resolutions: Map<string, PersonId>;
  /** The file's extension as uploaded (csv, xml, txt), for the name inside the ZIP. */
  readonly extension: string;
  /** The gate request filed for it; from then on the draft is fixed. */
  requestId?: number;
  /** The match the handler reviewed when asking: what the approval fills. */
  plan?: FilingMatch;
  readonly until: number;
  readonly monoUntil: number;
}

export class FilingDrafts {
  readonly #drafts = new Map<string, FilingDraft>();
  readonly #passwords = new Map<number, { secret: HandoverPassword; monoUntil: number }>();

  /** Keeps an uploaded file; refuses one over the caps (nothing is kept). */
  add(d: Omit<FilingDraft, 'id' | 'until' | 'monoUntil' | 'resolutions' | 'requestId' | 'plan'>, now: number): FilingDraft {
    this.sweep(now);
    if (d.bytes.length > FILING_MAX_BYTES) throw new AppError('invalid', `ファイルが大きすぎます（上限 ${FILING_MAX_BYTES / 1024 / 1024} MB）。分けて書き出してください。`);
    const held = [...this.#drafts.values()].reduce((n, x) => n + x.bytes.length, 0);
    if (held + d.bytes.length > FILING_MAX_TOTAL_BYTES) throw new AppError('overloaded', '確認待ちの届出ファイルが多すぎます。不要なファイルを取り消すか、しばらくしてからやり直してください。');
    const draft: FilingDraft = { ...d, id: randomBytes(16).toString('base64url'), resolutions: new Map(), until: now + DRAFT_TTL_MS, monoUntil: performance.now() + DRAFT_TTL_MS };
    this.#drafts.set(draft.id, draft);
    return draft;
  }

  /** The handler's own draft; another handler's is as absent as a missing one. */
  get(id: string, handlerId: string, now: number): FilingDraft {
    this.sweep(now);
    const d = this.#drafts.get(id);
    if (!d || d.handlerId !== handlerId) throw new AppError('not_found', 'この届出ファイルはありません（期限切れか取り消し済み）。もう一度アップロードしてください。');
    return d;
  }

  forRequest(requestId: number): FilingDraft | undefined {
    for (const d of this.#drafts.values()) if (d.requestId === requestId) return d;
    return undefined;
  }

  drop(id: string): void {
    const d = this.#drafts.get(id);
    d?.bytes.fill(0);
    this.#drafts.delete(id);
  }

  /** The ZIP's password, kept until the waiting page shows it once. */
  putPassword(requestId: number, secret: HandoverPassword, ms: number): void {
    this.#passwords.get(requestId)?.secret.wipe();
    this.#passwords.set(requestId, { secret, monoUntil: performance.now() + ms });
  }

  /** The password, once: gone after this call. */
  takePassword(requestId: number): HandoverPassword | undefined {
    const p = this.#passwords.get(requestId);
    this.#passwords.delete(requestId);
    return p && p.monoUntil > performance.now() ? p.secret : undefined;
  }

  dropPassword(requestId: number): void {
    this.#passwords.get(requestId)?.secret.wipe();
    this.#passwords.delete(requestId);
  }

  sweep(now: number): void {
    const mono = performance.now();
    for (const [id, d] of this.#drafts) if (d.until <= now || d.monoUntil <= mono) this.drop(id);
    for (const [id, p] of this.#passwords) if (p.monoUntil <= mono) this.dropPassword(id);
  }

  clear(): void {
    for (const id of [...this.#drafts.keys()]) this.drop(id);
    for (const id of [...this.#passwords.keys()]) this.dropPassword(id);
  }
}
