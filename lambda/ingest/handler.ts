/** Ingest: PUT and DELETE of one item, and batch writes. */
import { makeApiHandler, type Operation } from '../api/handler.ts';
import { isObject, json, jsonBody, pathParam } from '../api/http.ts';
import { ValidationError } from '../core/errors.ts';
import { DataPlane, type WriteOp } from '../store/data-plane.ts';

export const ingestOps: Record<string, Operation<DataPlane>> = {
  async putItem(dp, event) {
    const seq = await dp.put(pathParam(event, 'pk'), pathParam(event, 'sk'), jsonBody(event));
    return json(200, { seq });
  },
  async deleteItem(dp, event) {
    return json(200, { seq: await dp.delete(pathParam(event, 'pk'), pathParam(event, 'sk')) });
  },
  async batchWrite(dp, event) {
    const body = jsonBody(event);
    if (!isObject(body) || !Array.isArray(body.items)) throw new ValidationError('InvalidBatch', 'body must be {"items": [...]}');
    const ops = body.items.map((it: unknown, i: number): WriteOp => {
      if (!isObject(it)) throw new ValidationError('InvalidBatch', `items[${i}] must be an object`);
      if (it.delete === true) return { pk: it.pk, sk: it.sk, delete: true };
      if (!('value' in it)) throw new ValidationError('InvalidBatch', `items[${i}] needs "value", or "delete": true`);
      return { pk: it.pk, sk: it.sk, value: it.value };
    });
    return json(200, { results: await dp.batchWrite(ops) });
  },
};

export const createIngestHandler = (dp: () => DataPlane) => makeApiHandler('ingest', ingestOps, dp);
export const handler = createIngestHandler(() => DataPlane.fromEnv(process.env));
