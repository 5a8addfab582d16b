/** The agent's log sink (pino's shape); quiet by default. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const quietLogger: Logger = { info() {}, warn() {}, error() {} };
