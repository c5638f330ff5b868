/**
 * Builds a Lambda handler for one unit: dispatches on the route key to the unit's
 * operations, maps errors to responses, and runs inside the unit's Powertools entry (logs
 * with the Lambda context and the route, metrics, traces).
 */
import { AlkiError, NotFoundError } from '../core/errors.ts';
import type { ClientHook, Env } from '../store/clients.ts';
import { lambdaEntry, Telemetry, type LambdaEntry } from '../telemetry.ts';
import { errorResult, MethodNotAllowedError, type HttpEvent, type HttpResult } from './http.ts';
import { DEFAULT_ROUTE_KEY, findRoute, ROUTES, routeKey, type Unit } from './routes.ts';

export type Operation<Ctx> = (ctx: Ctx, event: HttpEvent, t: Telemetry) => Promise<HttpResult>;
export type ApiHandler = LambdaEntry<HttpEvent, HttpResult>;

/** `context` builds what the operations use, once per container, with the Tracer's client hook. */
export function makeApiHandler<Ctx>(unit: Unit, ops: Record<string, Operation<Ctx>>, context: (hook: ClientHook) => Ctx, env: () => Env): ApiHandler {
  const byKey = new Map<string, Operation<Ctx>>();
  for (const r of ROUTES) {
    if (r.unit !== unit) continue;
    const op = ops[r.op];
    if (!op) throw new Error(`unit ${unit} has no operation ${r.op}`);
    byKey.set(routeKey(r), op);
  }
  const t = new Telemetry(unit);
  let ctx: Ctx | undefined;
  const serve = async (event: HttpEvent): Promise<HttpResult> => {
    try {
      const op = byKey.get(event.routeKey);
      if (!op) {
        if (event.routeKey !== DEFAULT_ROUTE_KEY) throw new Error(`route ${event.routeKey} is not served by ${unit}`);
        const found = findRoute(event.requestContext.http.method, event.rawPath);
        if ('allowed' in found && found.allowed.length > 0) throw new MethodNotAllowedError(event.requestContext.http.method, found.allowed);
        throw new NotFoundError('NotFound', `no route for ${event.requestContext.http.method} ${event.rawPath}`);
      }
      ctx ??= context(t.traceClient);
      return await op(ctx, event, t);
    } catch (err) {
      const result = errorResult(err);
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
