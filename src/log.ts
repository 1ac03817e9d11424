/**
 * The service's log: one JSON object per line on stderr, which journald keeps
 * as the message. Every line has `level` and `event`; the other fields are
 * codes, counts, device names and ids. Callers never pass a My Number, a name
 * or any other field value a person typed.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, string | number | boolean | null | undefined>;
export type LogEvent = (level: LogLevel, event: string, fields?: LogFields) => void;

export function logTo(out: NodeJS.WritableStream): LogEvent {
  return (level, event, fields = {}) => {
    out.write(`${JSON.stringify({ level, event, ...fields })}\n`);
  };
}

/** Logs to the process's stderr. */
export const logEvent: LogEvent = (level, event, fields) => logTo(process.stderr)(level, event, fields);
