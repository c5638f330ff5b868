/** Read: one item, batch get, range queries, and the manifest. Also answers unmatched routes. */
import { makeApiHandler, type Operation } from '../api/handler.ts';
import { isObject, json, jsonBody, pathParam, query } from '../api/http.ts';
import { NotFoundError, ValidationError } from '../core/errors.ts';
import { checkLimit } from '../core/range.ts';
import type { ClientHook, Env } from '../store/clients.ts';
import { DataPlane } from '../store/data-plane.ts';

export const readOps: Record<string, Operation<DataPlane>> = {
  async getItem(dp, event) {
    const pk = pathParam(event, 'pk');
    const sk = pathParam(event, 'sk');
    const item = await dp.get(pk, sk);
    if (!item) throw new NotFoundError('NotFound', 'no such item');
    return json(200, item);
  },
  async batchGet(dp, event) {
    const body = jsonBody(event);
    if (!isObject(body) || !Array.isArray(body.keys)) throw new ValidationError('InvalidBatch', 'body must be {"keys": [{"pk", "sk"}, ...]}');
    const keys = body.keys.map((k: unknown) => (isObject(k) ? { pk: k.pk, sk: k.sk } : { pk: undefined, sk: undefined }));
    return json(200, await dp.batchGet(keys));
  },
  async query(dp, event) {
    const order = query(event, 'order') ?? 'asc';
    if (order !== 'asc' && order !== 'desc') throw new ValidationError('InvalidOrder', 'order must be asc or desc');
    const from = query(event, 'from');
    const to = query(event, 'to');
    const cursor = query(event, 'cursor');
    const page = await dp.query(
      {
        pk: pathParam(event, 'pk'),
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
        direction: order,
        limit: checkLimit(query(event, 'limit')),
      },
      cursor,
    );
    return json(200, page);
  },
  async listRuns(dp) {
    const m = await dp.manifest();
    return json(200, { version: m.version, runs: m.runs });
  },
};

export const createReadHandler = (dp: (hook: ClientHook) => DataPlane, env: () => Env = () => process.env) => makeApiHandler('read', readOps, dp, env);
export const handler = createReadHandler((hook) => DataPlane.fromEnv(process.env, hook));
