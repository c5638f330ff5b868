/** Ingest: PUT and DELETE of one item, and batch writes. */
import { makeApiHandler, type Operation } from '../api/handler.ts';
import { isObject, json, jsonBody, pathParam } from '../api/http.ts';
import { ValidationError } from '../core/errors.ts';
import type { ClientHook, Env } from '../store/clients.ts';
import { DataPlane, type WriteOp } from '../store/data-plane.ts';

export const ingestOps: Record<string, Operation<DataPlane>> = {
  async putItem(dp, event, t) {
    const seq = await dp.put(pathParam(event, 'pk'), pathParam(event, 'sk'), jsonBody(event));
    t.count('itemsWritten', 1);
    return json(200, { seq });
  },
  async deleteItem(dp, event, t) {
    const seq = await dp.delete(pathParam(event, 'pk'), pathParam(event, 'sk'));
    t.count('itemsWritten', 1);
    return json(200, { seq });
  },
  async batchWrite(dp, event, t) {
    const body = jsonBody(event);
    if (!isObject(body) || !Array.isArray(body.items)) throw new ValidationError('InvalidBatch', 'body must be {"items": [...]}');
    const ops = body.items.map((it: unknown, i: number): WriteOp => {
      if (!isObject(it)) throw new ValidationError('InvalidBatch', `items[${i}] must be an object`);
      if (it.delete === true) return { pk: it.pk, sk: it.sk, delete: true };
      if (!('value' in it)) throw new ValidationError('InvalidBatch', `items[${i}] needs "value", or "delete": true`);
      return { pk: it.pk, sk: it.sk, value: it.value };
    });
    const results = await dp.batchWrite(ops);
    t.count('itemsWritten', results.filter((r) => 'seq' in r).length);
    return json(200, { results });
  },
};

export const createIngestHandler = (dp: (hook: ClientHook) => DataPlane, env: () => Env = () => process.env) => makeApiHandler('ingest', ingestOps, dp, env);
export const handler = createIngestHandler((hook) => DataPlane.fromEnv(process.env, hook));
