import express from 'express';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { listen } from '../../src/web/server.js';

describe('a listen that fails is named', () => {
  it('says the port is taken by another program, and what to do, instead of an internal error', async () => {
    const other = createServer();
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const port = (other.address() as { port: number }).port;
    try {
      const err = await listen(express(), { port, host: '127.0.0.1', http: true, dataDir: '/nonexistent', now: () => new Date(), caKey: { load: () => null, save: () => undefined } as never }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('conflict');
      expect((err as AppError).publicMessage).toContain(`127.0.0.1:${port} は別のプログラム`);
      expect((err as AppError).publicMessage).toContain('--port');
    } finally {
      other.close();
    }
  });
});
