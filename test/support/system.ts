/** The embedded system for integration tests: in memory, on a free port, rotation by hand. */
import { DEFAULT_SETTINGS, type StoreSettings } from '../../lambda/core/settings.ts';
import { startLocal, type LocalOptions, type LocalSystem } from '../../local/system.ts';

export async function startTestSystem(
  settings: Partial<StoreSettings> = {},
  opts: Pick<LocalOptions, 'clock' | 'retryIntervalMs' | 'wrapTasks' | 'runtime' | 'logLevel' | 'throughputScale' | 'definitions'> = {},
): Promise<LocalSystem> {
  return startLocal({ dataDir: undefined, port: 0, settings: { ...DEFAULT_SETTINGS, periodMs: 3_600_000, ...settings }, schedule: false, ...opts });
}

export interface Response<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** A small HTTP client for the API. Paths are given already encoded. */
export function client(base: string) {
  const call = async <T = unknown>(method: string, path: string, body?: unknown, raw?: string): Promise<Response<T>> => {
    const res = await fetch(base + path, {
      method,
      ...(raw !== undefined ? { body: raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
      headers: { 'content-type': 'application/json' },
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const item = (pk: string, sk: string): string => `/v1/items/${encodeURIComponent(pk)}/${encodeURIComponent(sk)}`;
  return {
    call,
    item,
    put: (pk: string, sk: string, value: unknown) => call<{ seq: number }>('PUT', item(pk, sk), value),
    get: (pk: string, sk: string) => call<{ pk: string; sk: string; seq: number; value: unknown }>('GET', item(pk, sk)),
    del: (pk: string, sk: string) => call<{ seq: number }>('DELETE', item(pk, sk)),
    query: (pk: string, params: Record<string, string | number> = {}) => {
      const qs = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();
      return call<{ items: { pk: string; sk: string; seq: number; value: unknown }[]; cursor?: string }>(
        'GET',
        `/v1/items/${encodeURIComponent(pk)}${qs ? `?${qs}` : ''}`,
      );
    },
  };
}

/** Counts SDK commands by name on a client (requests per read, without mocking anything). */
export function countCommands(c: { middlewareStack: { add: (mw: never, opts: { step: 'initialize'; name: string }) => void } }): Map<string, number> {
  const counts = new Map<string, number>();
  const mw = ((next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
    const name = context.commandName ?? 'unknown';
    counts.set(name, (counts.get(name) ?? 0) + 1);
    return next(args);
  }) as never;
  c.middlewareStack.add(mw, { step: 'initialize', name: `count-${Math.random()}` });
  return counts;
}
