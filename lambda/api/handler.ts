/**
 * Builds a Lambda handler for one unit: its dispatcher (api/dispatch.ts) inside the unit's
 * Powertools entry (logs with the Lambda context and the route, metrics, traces), with
 * errors answered as their status and logged as what they are.
 */
import { AlkiError, ThrottledError } from '../core/errors.ts';
import type { MetricName } from '../core/metrics.ts';
import type { ClientHook, Env } from '../store/clients.ts';
import { lambdaEntry, Telemetry, type LambdaEntry } from '../telemetry.ts';
import { dispatcher, type Operations } from './dispatch.ts';
import { errorResult, type HttpEvent, type HttpResult } from './http.ts';
import type { Unit } from './routes.ts';

export type { ApiRequest, Operation, Operations, OperationsOf } from './dispatch.ts';
export type ApiHandler = LambdaEntry<HttpEvent, HttpResult>;

/** The data plane's units count what AWS throttled past the SDK's retries: the operators' alarm (lib/observability.ts). */
const THROTTLE_METRICS: Partial<Record<Unit, MetricName>> = { ingest: 'writesThrottled', read: 'readsThrottled' };

/**
 * The API's functions publish their metrics at most once a minute per container: at 5,000
 * requests a second, a metrics line per request would be 13 billion log lines a month. A
 * container reclaimed before its next publish loses at most that minute's counts.
 */
export const API_METRICS_EVERY_MS = 60_000;

/** `context` builds what the operations use, once per container, with the Tracer's client hook. */
export function makeApiHandler<Ctx, U extends Unit>(unit: U, ops: Operations<Ctx, U>, context: (hook: ClientHook) => Ctx, env: () => Env): ApiHandler {
  const dispatch = dispatcher(unit, ops);
  const t = new Telemetry(unit);
  let ctx: Ctx | undefined;
  const serve = async (event: HttpEvent): Promise<HttpResult> => {
    try {
      return await dispatch(() => (ctx ??= context(t.traceClient)), event, t);
    } catch (err) {
      const result = errorResult(err);
      const throttled = THROTTLE_METRICS[unit];
      if (err instanceof ThrottledError && throttled) t.count(throttled, 1);
      if (result.statusCode >= 500 && !(err instanceof AlkiError && result.statusCode === 503)) {
        t.logger.error('request failed', { status: result.statusCode, error: err as Error });
      } else {
        t.logger.debug('request rejected', { status: result.statusCode, code: (err as AlkiError).code });
      }
      return result;
    }
  };
  return lambdaEntry(t, env, serve, (event) => ({ route: event.routeKey, path: event.rawPath, apiRequestId: event.requestContext?.requestId }), {
    metricsEveryMs: API_METRICS_EVERY_MS,
  });
}
