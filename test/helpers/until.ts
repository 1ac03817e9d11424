/** Polls `fn` every 50 ms until `ok` holds (at most 100 times), and returns that value; fails naming that it was never reached. */
export async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const v = await fn();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not reached');
}
