/**
 * Direct mode: the API's ingest and read operations served in this process, on the caller's
 * own credentials, with no API Gateway or Lambda in between. A request is made into the
 * event API Gateway would send and dispatched to the same operations the functions run
 * (lambda/ingest/operations.ts, lambda/read/operations.ts), on the same data plane: writes
 * land in the current period's table (shards, conditions and transactions as ingest does),
 * reads merge hot tables and cold runs as the read function does. Imports and exports
 * need the store's state machines: they go through the API.
 */
import { dispatcher, NO_COUNTER, type Dispatch } from '../lambda/api/dispatch.ts';
import { httpEvent } from '../lambda/api/event.ts';
import { errorResult } from '../lambda/api/http.ts';
import { AlkiError } from '../lambda/core/errors.ts';
import type { Env } from '../lambda/store/clients.ts';
import { DataPlane } from '../lambda/data-plane/data-plane.ts';
import { ingestOps } from '../lambda/ingest/operations.ts';
import { readOps } from '../lambda/read/operations.ts';
import { AlkiApiError } from './errors.ts';
import type { Transport } from './transport.ts';

export interface DirectOptions {
  /**
   * Where the store is and how it is configured: the environment the store's functions have
   * (`AlkiStore.directEnvironment`; ALKI_BUCKET, ALKI_INDEX_TABLE and the settings). Default
   * process.env. Credentials and region come from it, or from the SDK's default chain.
   */
  readonly env?: Env;
  /** A data plane already made (tests, or clients with their own SDK configuration). */
  readonly dataPlane?: DataPlane;
}

export function directTransport(opts: DirectOptions = {}): Transport {
  let dp = opts.dataPlane;
  const ctx = (): DataPlane => (dp ??= DataPlane.fromEnv(opts.env ?? process.env));
  const units: Partial<Record<string, Dispatch<DataPlane>>> = { ingest: dispatcher('ingest', ingestOps), read: dispatcher('read', readOps) };
  return async (req) => {
    const { event, unit } = httpEvent({ method: req.method, url: req.path, headers: req.headers, ...(req.body !== undefined ? { body: req.body } : {}) });
    const dispatch = units[unit];
    if (!dispatch)
      throw new AlkiApiError(
        501,
        'NotInDirectMode',
        `${req.method} ${req.path.split('?')[0]} needs the store's state machines: use the API (new AlkiClient({ url }))`,
      );
    let result;
    try {
      result = await dispatch(ctx, event, NO_COUNTER);
    } catch (err) {
      // The API's answer to what the caller can act on; anything else is this process's own failure, thrown as it is.
      if (!(err instanceof AlkiError)) throw err;
      result = errorResult(err);
    }
    return { status: result.statusCode, headers: new Headers(result.headers), body: result.body };
  };
}
