/** One base error for the platform: a stable `code` for programs, an HTTP status for the API edge. */
export class KefuError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 500,
    readonly retryable = false,
    /** Seconds after which a retry may succeed (sent as the Retry-After header). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'KefuError';
  }
}

export const errors = {
  badRequest: (message: string, code = 'BAD_REQUEST') => new KefuError(code, message, 400),
  invalidJson: () => new KefuError('INVALID_JSON', 'The request body is not valid JSON.', 400),
  unauthorized: (message = 'Missing or invalid credentials.', code = 'UNAUTHORIZED') =>
    new KefuError(code, message, 401),
  forbidden: (message = 'These credentials do not give access to this resource.', code = 'FORBIDDEN') =>
    new KefuError(code, message, 403),
  notFound: (what: string) => new KefuError('NOT_FOUND', `${what} not found.`, 404),
  conflict: (message: string, code = 'CONFLICT') => new KefuError(code, message, 409, true),
  tooLarge: (message: string) => new KefuError('PAYLOAD_TOO_LARGE', message, 413),
  rateLimited: (retryAfterSeconds?: number) =>
    new KefuError('RATE_LIMITED', 'Too many requests; slow down.', 429, true, retryAfterSeconds),
  overloaded: (retryAfterSeconds: number) =>
    new KefuError(
      'OVERLOADED',
      `Kefu is busy right now; try again in ${retryAfterSeconds} s.`,
      429,
      true,
      retryAfterSeconds,
    ),
  unavailable: (message: string) => new KefuError('UNAVAILABLE', message, 503, true),
  versionConflict: () =>
    new KefuError('STATE_VERSION_CONFLICT', 'The dialogue state was changed by another turn.', 409, true),
  lockTimeout: () => new KefuError('LOCK_TIMEOUT', 'The conversation is busy; try again.', 503, true),
};

export function isKefuError(err: unknown): err is KefuError {
  return err instanceof KefuError;
}
