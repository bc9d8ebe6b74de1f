import type { components } from './generated/openapi';

/** The stable `error` codes of the API's error bodies (docs/api.md §5), as the generated document states them. */
export type ErrorCode = components['schemas']['ErrorBodyDto']['error'];

/** The same codes at run time; `Record<ErrorCode, …>` makes the compiler refuse a missing or unknown one. */
const CODES: Readonly<Record<ErrorCode, true>> = {
  VALIDATION_FAILED: true, INVALID_CURSOR: true, UNAUTHORIZED: true, FORBIDDEN: true, NOT_FOUND: true, METHOD_NOT_ALLOWED: true,
  NOT_ACCEPTABLE: true, FOLLOW_LIMIT_REACHED: true, PAYLOAD_TOO_LARGE: true, UNSUPPORTED_MEDIA_TYPE: true, RATE_LIMITED: true,
  TOO_MANY_STREAMS: true, STORE_UNAVAILABLE: true, INTERNAL: true,
};
const ERROR_CODES: ReadonlySet<string> = new Set(Object.keys(CODES));

export interface FieldProblem {
  field: string;
  problems: string[];
}

/**
 * Every failure of a client call. `status` is the HTTP status (0 when no response arrived); `code` is the body's
 * `error`, `NETWORK` when the request never got an answer, `UNEXPECTED` for an answer that is not the API's error shape.
 */
export class TidelineError extends Error {
  readonly status: number;
  readonly code: ErrorCode | 'NETWORK' | 'UNEXPECTED';
  readonly fields?: FieldProblem[];
  readonly retryAfterSeconds?: number;

  constructor(status: number, code: TidelineError['code'], message: string, extra: { fields?: FieldProblem[]; retryAfterSeconds?: number; cause?: unknown } = {}) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'TidelineError';
    this.status = status;
    this.code = code;
    if (extra.fields) this.fields = extra.fields;
    if (extra.retryAfterSeconds !== undefined) this.retryAfterSeconds = extra.retryAfterSeconds;
  }
}

export function isTidelineError(e: unknown, code?: ErrorCode): e is TidelineError {
  return e instanceof TidelineError && (code === undefined || e.code === code);
}

/** `Retry-After` in whole seconds (the API sends delta-seconds; an HTTP date is accepted too), or undefined. */
export function retryAfterSeconds(headers: Headers): number | undefined {
  const v = headers.get('retry-after')?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** The TidelineError for a non-2xx answer whose body was already read (`body`: parsed JSON, or text). */
export function errorFromBody(res: Response, body: unknown): TidelineError {
  const b = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const known = typeof b['error'] === 'string' && ERROR_CODES.has(b['error']);
  const message = typeof b['message'] === 'string' ? b['message'] : typeof body === 'string' && body ? body.slice(0, 500) : `HTTP ${res.status}`;
  const fields = Array.isArray(b['fields']) ? (b['fields'] as FieldProblem[]) : undefined;
  const retryAfter = res.status === 429 ? retryAfterSeconds(res.headers) : undefined;
  return new TidelineError(res.status, known ? (b['error'] as ErrorCode) : 'UNEXPECTED', message, { fields, retryAfterSeconds: retryAfter });
}

/** Reads a non-2xx response's body and turns it into a TidelineError. */
export async function errorFromResponse(res: Response): Promise<TidelineError> {
  let text = '';
  try {
    text = await res.text();
  } catch {
    /* the body broke off: the status still says enough */
  }
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON: keep the text */
  }
  return errorFromBody(res, body);
}

/** A fetch that threw: the caller's own abort is passed on as is, anything else is a NETWORK error. */
export function networkError(e: unknown, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted || isTidelineError(e)) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new TidelineError(0, 'NETWORK', `network error: ${msg}`, { cause: e });
}
