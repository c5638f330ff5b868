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
  constructor(blob: string, block: number | undefined, reason: string) {
    super('Corruption', `${blob}${block === undefined ? ' (footer)' : ` block ${block}`}: ${reason}`);
    this.blob = blob;
    this.block = block;
  }
}
