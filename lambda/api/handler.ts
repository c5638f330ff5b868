/**
 * Builds a Lambda handler for one unit: dispatches on the route key to the unit's
 * operations, maps errors to responses, and logs with Powertools.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { AlkiError, NotFoundError } from '../core/errors.ts';
import { errorResult, MethodNotAllowedError, type HttpEvent, type HttpResult } from './http.ts';
import { DEFAULT_ROUTE_KEY, findRoute, ROUTES, routeKey, type Unit } from './routes.ts';

export type Operation<Ctx> = (ctx: Ctx, event: HttpEvent) => Promise<HttpResult>;
export type ApiHandler = (event: HttpEvent, context?: Partial<Context>) => Promise<HttpResult>;

export function makeApiHandler<Ctx>(unit: Unit, ops: Record<string, Operation<Ctx>>, context: () => Ctx, logger = new Logger({ serviceName: `alki-${unit}` })): ApiHandler {
  const byKey = new Map<string, Operation<Ctx>>();
  for (const r of ROUTES) {
    if (r.unit !== unit) continue;
    const op = ops[r.op];
    if (!op) throw new Error(`unit ${unit} has no operation ${r.op}`);
    byKey.set(routeKey(r), op);
  }
  let ctx: Ctx | undefined;
  return async (event) => {
    try {
      const op = byKey.get(event.routeKey);
      if (!op) {
        if (event.routeKey !== DEFAULT_ROUTE_KEY) throw new Error(`route ${event.routeKey} is not served by ${unit}`);
        const found = findRoute(event.requestContext.http.method, event.rawPath);
        if ('allowed' in found && found.allowed.length > 0) throw new MethodNotAllowedError(event.requestContext.http.method, found.allowed);
        throw new NotFoundError('NotFound', `no route for ${event.requestContext.http.method} ${event.rawPath}`);
      }
      ctx ??= context();
      return await op(ctx, event);
    } catch (err) {
      const result = errorResult(err);
      if (result.statusCode >= 500 && !(err instanceof AlkiError && result.statusCode === 503)) {
        logger.error('request failed', { routeKey: event.routeKey, path: event.rawPath, error: err as Error });
      } else {
        logger.debug('request rejected', { routeKey: event.routeKey, status: result.statusCode, code: (err as AlkiError).code });
      }
      return result;
    }
  };
}
