/**
 * Builds a Lambda handler for one unit: dispatches on the route key to the unit's
 * operations, maps errors to responses, and runs inside the unit's Powertools entry (logs
 * with the Lambda context and the route, metrics, traces).
 */
import { AlkiError, NotFoundError, ThrottledError } from '../core/errors.ts';
import type { MetricName } from '../core/metrics.ts';
import type { ClientHook, Env } from '../store/clients.ts';
import { lambdaEntry, Telemetry, type LambdaEntry } from '../telemetry.ts';
import { errorResult, MethodNotAllowedError, type HttpEvent, type HttpResult } from './http.ts';
import { DEFAULT_ROUTE_KEY, findRoute, invalidPath, ROUTES, routeKey, type Unit } from './routes.ts';
import type { OperationName } from './schemas.ts';
import { validateRequest, type ValidRequest } from './validate.ts';

/** A request that passed its operation's schema: the body and query as typed there. */
export interface ApiRequest<K extends OperationName> extends ValidRequest<K> {
  readonly event: HttpEvent;
}
export type Operation<Ctx, K extends OperationName> = (ctx: Ctx, req: ApiRequest<K>, t: Telemetry) => Promise<HttpResult>;
/** The operations a unit serves: exactly those its routes name. */
export type OperationsOf<U extends Unit> = Extract<(typeof ROUTES)[number], { unit: U }>['op'];
export type Operations<Ctx, U extends Unit> = { readonly [K in OperationsOf<U>]: Operation<Ctx, K> };
export type ApiHandler = LambdaEntry<HttpEvent, HttpResult>;

type Serve<Ctx> = (ctx: Ctx, event: HttpEvent, t: Telemetry) => Promise<HttpResult>;

/** `context` builds what the operations use, once per container, with the Tracer's client hook. */
/** The data plane's units count what AWS throttled past the SDK's retries: the operators' alarm (lib/observability.ts). */
const THROTTLE_METRICS: Partial<Record<Unit, MetricName>> = { ingest: 'writesThrottled', read: 'readsThrottled' };

export function makeApiHandler<Ctx, U extends Unit>(unit: U, ops: Operations<Ctx, U>, context: (hook: ClientHook) => Ctx, env: () => Env): ApiHandler {
  const byKey = new Map<string, Serve<Ctx>>();
  for (const r of ROUTES) {
    if (r.unit !== unit) continue;
    const name = r.op as OperationsOf<U>;
    // Each route's operation gets the request its own schema validated.
    const op = ops[name] as unknown as Operation<Ctx, typeof name>;
    byKey.set(routeKey(r), (ctx, event, t) => op(ctx, { event, ...validateRequest(name, event) }, t));
  }
  const t = new Telemetry(unit);
  let ctx: Ctx | undefined;
  const serve = async (event: HttpEvent): Promise<HttpResult> => {
    try {
      const op = byKey.get(event.routeKey);
      if (!op) {
        if (event.routeKey !== DEFAULT_ROUTE_KEY) throw new Error(`route ${event.routeKey} is not served by ${unit}`);
        const found = findRoute(event.requestContext.http.method, event.rawPath);
        if ('allowed' in found && found.malformed) throw invalidPath(event.rawPath);
        if ('allowed' in found && found.allowed.length > 0) throw new MethodNotAllowedError(event.requestContext.http.method, found.allowed);
        throw new NotFoundError('NotFound', `no route for ${event.requestContext.http.method} ${event.rawPath}`);
      }
      ctx ??= context(t.traceClient);
      return await op(ctx, event, t);
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
  return lambdaEntry(t, env, serve, (event) => ({ route: event.routeKey, path: event.rawPath, apiRequestId: event.requestContext?.requestId }));
}
