/**
 * What a call can fail with: the API's answer as a typed exception carrying its status and
 * stable code (the same in direct mode, which answers as the API would), or a failure to
 * reach it. `outcomeUnknown` says the request may have been applied though it failed (a
 * conditional write whose answer was lost): the client never retried it.
 */

/** An answer of the API that is not a success. */
export class AlkiApiError extends Error {
  readonly status: number;
  /** The API's machine-readable code (`InvalidKey`, `Throttled`, ...), or `Http<status>` for an answer without one. */
  readonly code: string;
  /** Seconds the API asked to wait (Retry-After), on 429 and 503. */
  readonly retryAfterSeconds: number | undefined;
  /** True when the request may have been applied: it was not retried, and the caller must find out (read the key). */
  readonly outcomeUnknown: boolean;

  constructor(status: number, code: string, message: string, opts: { retryAfterSeconds?: number | undefined; outcomeUnknown?: boolean } = {}) {
    super(`${status} ${code}: ${message}`);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = opts.retryAfterSeconds;
    this.outcomeUnknown = opts.outcomeUnknown ?? false;
  }
}

/** 400 or 413: the request breaks a rule; nothing changed. */
export class AlkiValidationError extends AlkiApiError {}
/** 404. */
export class AlkiNotFoundError extends AlkiApiError {}
/** 412: a conditional write's precondition does not hold; nothing was written. */
export class AlkiPreconditionFailedError extends AlkiApiError {
  /** The seq of the record as it is (from the ETag), undefined when there is none. */
  readonly currentSeq: number | undefined;
  constructor(message: string, currentSeq: number | undefined) {
    super(412, 'PreconditionFailed', message);
    this.currentSeq = currentSeq;
  }
}
/** 429 after the client's retries: slow down. */
export class AlkiThrottledError extends AlkiApiError {}
/** 503 after the client's retries, or one not retried (see outcomeUnknown). */
export class AlkiUnavailableError extends AlkiApiError {}
/** The API could not be reached, or the answer was lost. */
export class AlkiConnectionError extends AlkiApiError {}

/** The error for an answer, from its status, body and headers. */
export function errorOf(status: number, body: unknown, headers: { get(name: string): string | null }, outcomeUnknown = false): AlkiApiError {
  const e = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  // API Gateway's own answers (its throttling, a missing signature) say {"message": ...}.
  const code = typeof e?.code === 'string' ? e.code : `Http${status}`;
  const message =
    typeof e?.message === 'string'
      ? e.message
      : typeof (body as { message?: unknown } | undefined)?.message === 'string'
        ? (body as { message: string }).message
        : JSON.stringify(body ?? '');
  const retryAfter = Number(headers.get('retry-after'));
  const opts = { retryAfterSeconds: Number.isFinite(retryAfter) && headers.get('retry-after') !== null ? retryAfter : undefined, outcomeUnknown };
  if (status === 412) {
    const tag = /^"?(\d+)"?$/.exec(headers.get('etag') ?? '');
    return new AlkiPreconditionFailedError(message, tag ? Number(tag[1]) : undefined);
  }
  if (status === 400 || status === 413) return new AlkiValidationError(status, code, message, opts);
  if (status === 404) return new AlkiNotFoundError(status, code, message, opts);
  if (status === 429) return new AlkiThrottledError(status, code, message, opts);
  if (status === 503) return new AlkiUnavailableError(status, code, message, opts);
  return new AlkiApiError(status, code, message, opts);
}

/** The API's 503 codes (nothing served, or a write sealed late). */
const UNAVAILABLE_CODES = new Set(['PeriodNotReady', 'PeriodSealed', 'NotReady', 'Contention']);

/**
 * The status a batch item's error would have had as a request of its own: a batch answers
 * 200 with each item's code and message only.
 */
export function itemStatus(code: string): number {
  if (code === 'PreconditionFailed') return 412;
  if (code === 'Throttled') return 429;
  if (UNAVAILABLE_CODES.has(code)) return 503;
  return code.endsWith('TooLarge') ? 413 : 400;
}
