/**
 * The contactless card reader at the appliance, as the services see it. Only
 * src/devices implements it (PC/SC through pcscd); readers may come and go at
 * any time, so every call looks at the readers present now.
 */

/** What the admin home page shows about card readers. */
export interface CardReaderState {
  /** 'running': pcscd answers; 'unavailable': it does not (not installed or stopped). */
  service: 'running' | 'unavailable';
  readers: { name: string; card: boolean }[];
}

/** A card held in a reader, connected for exchanges. */
export interface CardSession {
  readonly reader: string;
  transmit(apdu: Uint8Array): Promise<Uint8Array>;
  /** Releases the card and powers it off, so no verified PIN stays open. */
  close(): Promise<void>;
}

export interface CardReaders {
  state(): CardReaderState;
  /**
   * Resolves with the first card present in any reader (waiting up to
   * timeoutMs for one to be placed); rejects with AppError 'device_unavailable'
   * when pcscd is not there or no card came, and stops when signal aborts.
   */
  waitForCard(timeoutMs: number, signal?: AbortSignal): Promise<CardSession>;
}
