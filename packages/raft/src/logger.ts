/**
 * The logger the core writes to. Hosts adapt pino (or anything else) to it; by default
 * nothing is printed. Fields are structured so that a child logger can add store/region.
 */

export interface RaftLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export const silentLogger: RaftLogger = {
  debug() {},
  info() {},
  warn() {},
};
