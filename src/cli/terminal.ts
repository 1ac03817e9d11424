/**
 * Whether a person is watching this output at a terminal: stdout is a TTY
 * and systemd did not start the process (it sets INVOCATION_ID for every unit
 * it runs, whatever the unit does with stdout). Hints such as "press Ctrl+C"
 * are for that person only; in the journal they mislead.
 */
export function atTerminal(out: NodeJS.WritableStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.INVOCATION_ID) return false;
  return 'isTTY' in out && out.isTTY === true;
}
