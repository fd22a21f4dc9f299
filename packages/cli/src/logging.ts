/** The process logger: pino, JSON lines on stdout; a child per component. */

import { pino } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export function makeLogger(level: LogLevel, base: Record<string, unknown>) {
  return pino({ level, base, timestamp: pino.stdTimeFunctions.isoTime });
}
