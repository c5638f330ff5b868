/**
 * One unit's routes to its operations: the route key picks the operation, its schema
 * validates the request, and what matches no route is answered 404, 405 or 400. The Lambda
 * handler (api/handler.ts) and the client's direct mode (client/direct.ts) both serve
 * requests through it, so they answer alike.
 */
import { NotFoundError } from '../core/errors.ts';
import type { MetricName } from '../core/metrics.ts';
import { MethodNotAllowedError, type HttpEvent, type HttpResult } from './http.ts';
import { DEFAULT_ROUTE_KEY, findRoute, invalidPath, ROUTES, routeKey, type Unit } from './routes.ts';
import type { OperationName } from './schemas.ts';
import { validateRequest, type ValidRequest } from './validate.ts';

/** A request that passed its operation's schema: the body and query as typed there. */
export interface ApiRequest<K extends OperationName> extends ValidRequest<K> {
  readonly event: HttpEvent;
}
/** What an operation may count (a function's metrics; nothing in direct mode). */
export interface Counter {
  count(name: MetricName, value: number): void;
}
export const NO_COUNTER: Counter = { count: () => undefined };

export type Operation<Ctx, K extends OperationName> = (ctx: Ctx, req: ApiRequest<K>, t: Counter) => Promise<HttpResult>;
/** The operations a unit serves: exactly those its routes name. */
export type OperationsOf<U extends Unit> = Extract<(typeof ROUTES)[number], { unit: U }>['op'];
export type Operations<Ctx, U extends Unit> = { readonly [K in OperationsOf<U>]: Operation<Ctx, K> };

/** Serves one event of the unit's routes (or `$default`); throws what the operation threw (errorResult answers it). */
export type Dispatch<Ctx> = (ctx: () => Ctx, event: HttpEvent, t: Counter) => Promise<HttpResult>;

export function dispatcher<Ctx, U extends Unit>(unit: U, ops: Operations<Ctx, U>): Dispatch<Ctx> {
  type Serve = (ctx: Ctx, event: HttpEvent, t: Counter) => Promise<HttpResult>;
  const byKey = new Map<string, Serve>();
  for (const r of ROUTES) {
    if (r.unit !== unit) continue;
    const name = r.op as OperationsOf<U>;
    // Each route's operation gets the request its own schema validated.
    const op = ops[name] as unknown as Operation<Ctx, typeof name>;
    byKey.set(routeKey(r), (ctx, event, t) => op(ctx, { event, ...validateRequest(name, event) }, t));
  }
  return async (ctx, event, t) => {
    const op = byKey.get(event.routeKey);
    if (op) return op(ctx(), event, t);
    if (event.routeKey !== DEFAULT_ROUTE_KEY) throw new Error(`route ${event.routeKey} is not served by ${unit}`);
    const found = findRoute(event.requestContext.http.method, event.rawPath);
    if ('allowed' in found && found.malformed) throw invalidPath(event.rawPath);
    if ('allowed' in found && found.allowed.length > 0) throw new MethodNotAllowedError(event.requestContext.http.method, found.allowed);
    throw new NotFoundError('NotFound', `no route for ${event.requestContext.http.method} ${event.rawPath}`);
  };
}
