/** The API's `{ error: { code, message } }` answer, or NETWORK / TIMEOUT when there was none. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * One call to the Kefu API from a browser page, with a time limit: resolves `{ status, body }` for
 * a 2xx (body parsed when it is JSON), rejects with ApiError otherwise.
 */
export async function fetchApi<T>(
  path: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<{ status: number; body: T | undefined }> {
  const controller = new AbortController();
  const timer = window.setTimeout(() => controller.abort(), timeoutMs);
  let res: Response;
  try {
    res = await fetch(path, { ...init, signal: controller.signal, cache: 'no-store' });
  } catch {
    throw new ApiError(0, controller.signal.aborted ? 'TIMEOUT' : 'NETWORK', '');
  } finally {
    window.clearTimeout(timer);
  }
  const text = await res.text().catch(() => '');
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    const error = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    throw new ApiError(
      res.status,
      typeof error?.code === 'string' ? error.code : `HTTP_${res.status}`,
      typeof error?.message === 'string' ? error.message : '',
    );
  }
  return { status: res.status, body: parsed as T | undefined };
}
