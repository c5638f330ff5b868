/**
 * An HTTP request as API Gateway's HTTP API hands it to a function (payload 2.0): the route
 * matched against the same routes the CDK app deploys, `$default` when none matches. The
 * embedded system's gateway and the client's direct mode make their events here.
 */
import { randomUUID } from 'node:crypto';
import type { HttpEvent } from './http.ts';
import { DEFAULT_ROUTE_KEY, DEFAULT_ROUTE_UNIT, findRoute, routeKey, type Unit } from './routes.ts';

export interface HttpRequest {
  readonly method: string;
  /** The path and query string, percent-encoded as sent. */
  readonly url: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly sourceIp?: string;
  readonly protocol?: string;
}

export function httpEvent(req: HttpRequest): { event: HttpEvent; unit: Unit } {
  const url = new URL(req.url, 'http://local');
  const rawPath = url.pathname;
  const headers = { ...req.headers };
  const qs: Record<string, string> = {};
  // API Gateway joins repeated parameters with commas.
  for (const [k, v] of url.searchParams) qs[k] = k in qs ? `${qs[k]},${v}` : v;
  const found = findRoute(req.method, rawPath);
  const matched = 'route' in found ? found : undefined;
  const key = matched ? routeKey(matched.route) : DEFAULT_ROUTE_KEY;
  const now = new Date();
  const event: HttpEvent = {
    version: '2.0',
    routeKey: key,
    rawPath,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(qs).length > 0 ? { queryStringParameters: qs } : {}),
    ...(matched && Object.keys(matched.params).length > 0 ? { pathParameters: matched.params } : {}),
    ...(req.body !== undefined && req.body.length > 0 ? { body: req.body } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: req.method,
        path: rawPath,
        protocol: req.protocol ?? 'HTTP/1.1',
        sourceIp: req.sourceIp ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: key,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
  };
  return { event, unit: matched ? matched.route.unit : DEFAULT_ROUTE_UNIT };
}
