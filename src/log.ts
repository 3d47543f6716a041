import { pino } from 'pino';

/** The logging surface the application uses; pino satisfies it, tests can capture it. */
export interface Logger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * Field names that may carry a secret anywhere in a log object. They are censored even if some code
 * path passes them by mistake: logs must never hold a password, code, TOTP secret, recovery code or token.
 */
export const REDACTED_PATHS = [
  'password',
  'code',
  'secret',
  'token',
  'text',
  'hash',
  '*.password',
  '*.code',
  '*.secret',
  '*.token',
  '*.text',
  '*.hash',
  'botToken',
  'config.secretKey',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { app: 'lockstep' } },
    destination ?? process.stderr,
  );
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * An error for a log line: name and message (and its cause's), never a payload, which may hold what the
 * user typed.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const cause = error.cause instanceof Error ? `: ${error.cause.name}: ${error.cause.message}` : '';
  return `${error.name}: ${error.message}${cause}`;
}
