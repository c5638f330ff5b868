/**
 * The HTTP API's routes, defined once: the CDK app creates them in API Gateway, the local
 * gateway matches requests against them, and each handler serves the ones of its unit.
 */
import { ValidationError } from '../core/errors.ts';

export type Unit = 'ingest' | 'read' | 'transfers';

export interface Route {
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** API Gateway route path: `{name}` is one segment, `{name+}` the rest of the path. */
  readonly path: string;
  readonly unit: Unit;
  readonly op: string;
}

export const ROUTES = [
  { method: 'PUT', path: '/v1/items/{pk}/{sk+}', unit: 'ingest', op: 'putItem' },
  { method: 'DELETE', path: '/v1/items/{pk}/{sk+}', unit: 'ingest', op: 'deleteItem' },
  { method: 'POST', path: '/v1/batch/write', unit: 'ingest', op: 'batchWrite' },
  { method: 'GET', path: '/v1/items/{pk}/{sk+}', unit: 'read', op: 'getItem' },
  { method: 'GET', path: '/v1/items/{pk}', unit: 'read', op: 'query' },
  { method: 'POST', path: '/v1/batch/get', unit: 'read', op: 'batchGet' },
  { method: 'GET', path: '/v1/runs', unit: 'read', op: 'listRuns' },
  { method: 'GET', path: '/v1/status', unit: 'read', op: 'status' },
  { method: 'POST', path: '/v1/checkpoints', unit: 'read', op: 'createCheckpoint' },
  { method: 'GET', path: '/v1/checkpoints', unit: 'read', op: 'listCheckpoints' },
  { method: 'DELETE', path: '/v1/checkpoints/{id}', unit: 'read', op: 'deleteCheckpoint' },
  { method: 'POST', path: '/v1/imports', unit: 'transfers', op: 'createImport' },
  { method: 'POST', path: '/v1/imports/{id}/commit', unit: 'transfers', op: 'commitImport' },
  { method: 'GET', path: '/v1/imports/{id}', unit: 'transfers', op: 'getImport' },
  { method: 'GET', path: '/v1/imports/{id}/parts', unit: 'transfers', op: 'getImportParts' },
  { method: 'POST', path: '/v1/exports', unit: 'transfers', op: 'createExport' },
  { method: 'GET', path: '/v1/exports/{id}', unit: 'transfers', op: 'getExport' },
] as const satisfies readonly Route[];

/** Requests no route matches go to API Gateway's `$default` route: the read unit answers 404 or 405. */
export const DEFAULT_ROUTE_KEY = '$default';
export const DEFAULT_ROUTE_UNIT: Unit = 'read';

export const routeKey = (r: Route): string => `${r.method} ${r.path}`;

/** A path segment percent-decoded; undefined when its encoding is malformed (`%zz`, an overlong UTF-8 sequence). */
export function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** What a path with a malformed percent-encoding is answered, by the API and the embedded system alike (400). */
export const invalidPath = (rawPath: string): ValidationError =>
  new ValidationError('InvalidPath', `${rawPath}: a path segment is not valid percent-encoded UTF-8`);

/** A path that would match the route but for a segment whose percent-encoding is malformed. */
const MALFORMED = Symbol('malformed');

/**
 * Matches a raw (percent-encoded) path against a route path; returns decoded parameters, or
 * MALFORMED when only a parameter's encoding stands in the way.
 */
function matchSegments(template: string, rawPath: string): Record<string, string> | typeof MALFORMED | undefined {
  const t = template.split('/').slice(1);
  const p = rawPath.split('/').slice(1);
  const params: Record<string, string> = {};
  let malformed = false;
  for (let i = 0; i < t.length; i++) {
    const seg = t[i]!;
    const greedy = /^\{(\w+)\+\}$/.exec(seg);
    if (greedy) {
      const rest = p.slice(i);
      const decoded = rest.map(decodeSegment);
      if (rest.length === 0 || rest.some((s) => s === '')) return undefined;
      if (decoded.some((s) => s === undefined || s === '')) return MALFORMED;
      params[greedy[1]!] = decoded.join('/');
      return malformed ? MALFORMED : params;
    }
    const v = p[i];
    if (v === undefined || v === '') return undefined;
    const param = /^\{(\w+)\}$/.exec(seg);
    if (param) {
      const d = decodeSegment(v);
      if (d === undefined) malformed = true;
      else params[param[1]!] = d;
    } else if (seg !== v) {
      return undefined;
    }
  }
  if (p.length !== t.length) return undefined;
  return malformed ? MALFORMED : params;
}

/** Matches a raw (percent-encoded) path against a route path; returns decoded parameters. A malformed percent-encoding matches nothing. */
export function matchPath(template: string, rawPath: string): Record<string, string> | undefined {
  const m = matchSegments(template, rawPath);
  return m === MALFORMED ? undefined : m;
}

/**
 * The route for a method and path, or which methods the path allows (for 405), and whether a
 * route would have matched but for a malformed percent-encoding in a parameter (for 400).
 */
export function findRoute(method: string, rawPath: string): { route: Route; params: Record<string, string> } | { allowed: string[]; malformed: boolean } {
  const allowed: string[] = [];
  let malformed = false;
  for (const route of ROUTES) {
    const params = matchSegments(route.path, rawPath);
    if (params === MALFORMED) malformed = true;
    if (!params || params === MALFORMED) continue;
    if (route.method === method) return { route, params };
    allowed.push(route.method);
  }
  return { allowed, malformed };
}
