/**
 * The embedded system's own HTTP routes, beside the API's: health, the executions the local
 * runner keeps, the state machines' definitions, the OpenAPI document naming this server,
 * the schedules (as enabling an EventBridge rule), and the local console's page.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorResult, json, type HttpResult } from '../lambda/api/http.ts';
import { openApiDocument } from '../lambda/api/openapi.ts';
import { decodeSegment, invalidPath } from '../lambda/api/routes.ts';
import type { Schedule } from './schedules.ts';
import type { LocalStepFunctions } from './step-functions.ts';

export type ScheduleName = 'lifecycle' | 'rotation';

/** The local console: a static page of its own (local/console), no build step. */
const CONSOLE_DIR = fileURLToPath(new URL('./console/', import.meta.url));
const CONSOLE_FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
};
function consoleFile(f: { file: string; type: string }): HttpResult {
  return { statusCode: 200, headers: { 'content-type': f.type, 'cache-control': 'no-store' }, body: readFileSync(join(CONSOLE_DIR, f.file), 'utf8') };
}

/** `GET /local/schedules`, `POST /local/schedules/{name} {"enabled": bool}`: as enabling or disabling an EventBridge rule. */
async function scheduleRequest(schedules: Readonly<Record<ScheduleName, Schedule>>, req: IncomingMessage): Promise<HttpResult> {
  const path = req.url!.split('?')[0]!;
  if (path === '/local/schedules') {
    if (req.method !== 'GET') return json(405, { error: { code: 'MethodNotAllowed', message: 'GET /local/schedules' } }, { allow: 'GET' });
    return json(200, { schedules: Object.values(schedules).map((s) => s.status()) });
  }
  const name = decodeSegment(path.slice('/local/schedules/'.length));
  if (name === undefined) return errorResult(invalidPath(path));
  const schedule = (schedules as Record<string, Schedule | undefined>)[name];
  if (!schedule) return json(404, { error: { code: 'NotFound', message: `no schedule "${name}"; there are ${Object.keys(schedules).join(' and ')}` } });
  if (req.method === 'GET') return json(200, schedule.status());
  if (req.method !== 'POST') return json(405, { error: { code: 'MethodNotAllowed', message: `GET or POST /local/schedules/${name}` } }, { allow: 'GET, POST' });
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    body = undefined;
  }
  const enabled = (body as { enabled?: unknown } | undefined)?.enabled;
  if (typeof body !== 'object' || body === null || Object.keys(body).some((k) => k !== 'enabled') || typeof enabled !== 'boolean') {
    return json(400, { error: { code: 'InvalidSchedule', message: 'body must be {"enabled": true} or {"enabled": false}' } });
  }
  schedule.enabled = enabled;
  return json(200, schedule.status());
}

export interface LocalRoutesOptions {
  readonly stepFunctions: LocalStepFunctions;
  readonly schedules: Readonly<Record<ScheduleName, Schedule>>;
  /** Whether the system is serving (false while it stops). */
  readonly ready: () => boolean;
  /** This server's URL, for the OpenAPI document's servers. */
  readonly url: () => string;
}

/** Answers the local routes; undefined for any other request (the API's). */
export function localRoutes(o: LocalRoutesOptions): (req: IncomingMessage) => Promise<HttpResult | undefined> {
  return async (r) => {
    if (r.url === '/healthz') return o.ready() ? json(200, { ok: true }) : json(503, { ok: false });
    const path = r.url?.split('?')[0];
    if (r.method === 'GET' && path === '/local/executions') return json(200, { executions: o.stepFunctions.executions() });
    if (r.method === 'GET' && path !== undefined && CONSOLE_FILES[path]) return consoleFile(CONSOLE_FILES[path]);
    if (r.method === 'GET' && path?.startsWith('/local/state-machines/')) {
      const name = decodeSegment(path.slice('/local/state-machines/'.length));
      if (name === undefined) return errorResult(invalidPath(path));
      const definition = /^[a-z]+$/.test(name) ? o.stepFunctions.definition(name) : undefined;
      return definition ? json(200, definition) : json(404, { error: { code: 'NotFound', message: `no state machine "${name}"` } });
    }
    if (r.method === 'GET' && path === '/openapi.json')
      return json(200, { ...openApiDocument(), servers: [{ url: o.url(), description: 'this local system' }] });
    if (path === '/local/schedules' || path?.startsWith('/local/schedules/')) return scheduleRequest(o.schedules, r);
    return undefined;
  };
}
