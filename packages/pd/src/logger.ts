/**
 * The logger the PD core writes to: a pino-compatible subset, silent by default. The wiring
 * layer passes a pino child logger; tests pass nothing.
 */

export interface PdLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** Drops everything. */
export const silentLogger: PdLogger = {
  debug() {},
  info() {},
  warn() {},
};
