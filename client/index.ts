/** `alki/client`: the API from code, over HTTP or in-process (direct mode). */
export { AlkiClient, type AlkiClientOptions, type Paged } from './client.ts';
export type { DirectOptions } from './direct.ts';
export {
  AlkiApiError,
  AlkiConnectionError,
  AlkiNotFoundError,
  AlkiPreconditionFailedError,
  AlkiThrottledError,
  AlkiUnavailableError,
  AlkiValidationError,
} from './errors.ts';
export type { RetryOptions } from './retry.ts';
export type { Transport, TransportRequest, TransportResponse } from './transport.ts';
export { BatchWriter, type BatchWriterOptions } from './writer.ts';
export type * from './types.ts';
