/**
 * Typed errors of the engine. Each carries a stable `code` that the API maps to an HTTP
 * status; messages say which limit or which byte range was at fault.
 */
export class AlkiError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Bad input from a caller: a key, value, cursor or parameter that breaks a rule. */
export class ValidationError extends AlkiError {}

/** A value or request body above its size limit. */
export class TooLargeError extends AlkiError {}

/** Stored bytes that fail a check: never yields records decoded from them. */
export class CorruptionError extends AlkiError {
  readonly blob: string;
  readonly block: number | undefined;
  /** `part` names where in `blob` (default: the block, or the footer); '' for a whole stored item. */
  constructor(blob: string, block: number | undefined, reason: string, part = block === undefined ? ' (footer)' : ` block ${block}`) {
    super('Corruption', `${blob}${part}: ${reason}`);
    this.blob = blob;
    this.block = block;
  }
}

/** A conditional write whose precondition does not hold (412): nothing was written. */
export class PreconditionFailedError extends AlkiError {
  /** The seq of the record as it is (undefined: there is none). */
  readonly currentSeq: number | undefined;
  constructor(message: string, currentSeq: number | undefined) {
    super('PreconditionFailed', message);
    this.currentSeq = currentSeq;
  }
}

/** The requested item or resource does not exist (404). */
export class NotFoundError extends AlkiError {}

/** A dependency said slow down (429 with Retry-After). */
export class ThrottledError extends AlkiError {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds = 1) {
    super('Throttled', message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * A task stopped before its time ran out, with where it was recorded: the state machine's
 * retry runs it again and it goes on from there (a long, throttled scan segment).
 */
export class TaskSuspended extends AlkiError {
  constructor(message: string) {
    super('TaskSuspended', message);
  }
}

/** Not ready to serve: the period's table is missing, or a stored object vanished (503). */
export class UnavailableError extends AlkiError {
  readonly retryAfterSeconds: number;
  constructor(code: string, message: string, retryAfterSeconds = 1) {
    super(code, message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** AWS refused a call this function's role should allow: a deployment fault, never retried as data. */
export class AccessDeniedError extends AlkiError {
  constructor(message: string) {
    super('AccessDenied', message);
  }
}

/** A table or object the manifest named is gone: re-read the manifest and retry once. */
export class MissingDataError extends AlkiError {
  constructor(message: string) {
    super('MissingData', message);
  }
}
