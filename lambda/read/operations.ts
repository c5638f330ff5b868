/** Read's operations: one item, batch get, range queries (now or at a checkpoint), checkpoints, the manifest and status (the function and direct mode serve them). */
import type { Operations } from '../api/dispatch.ts';
import { json, pathParam } from '../api/http.ts';
import { etagOf } from '../core/precondition.ts';
import { NotFoundError } from '../core/errors.ts';
import { checkLimit } from '../core/partition-query.ts';
import type { DataPlane } from '../data-plane/data-plane.ts';

export const readOps: Operations<DataPlane, 'read'> = {
  async getItem(dp, { event, query }) {
    const item = await dp.get(pathParam(event, 'pk'), pathParam(event, 'sk'), query.checkpoint);
    if (!item) throw new NotFoundError('NotFound', 'no such item');
    return json(200, item, { etag: etagOf(item.seq) });
  },
  async batchGet(dp, { body, query }) {
    return json(200, await dp.batchGet(body.keys, query.checkpoint));
  },
  async query(dp, { event, query }) {
    const { from, to, cursor } = query;
    const page = await dp.query(
      {
        pk: pathParam(event, 'pk'),
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
        direction: query.order ?? 'asc',
        limit: checkLimit(query.limit),
      },
      cursor,
      query.checkpoint,
    );
    return json(200, page);
  },
  async createCheckpoint(dp, { body }) {
    return json(201, await dp.createCheckpoint(body?.ttl));
  },
  async listCheckpoints(dp) {
    return json(200, { checkpoints: await dp.listCheckpoints() });
  },
  async deleteCheckpoint(dp, { event }) {
    await dp.deleteCheckpoint(pathParam(event, 'id'));
    return { statusCode: 204, headers: {}, body: '' };
  },
  async listRuns(dp) {
    const m = await dp.manifest();
    return json(200, { version: m.version, runs: m.runs });
  },
  async status(dp) {
    return json(200, await dp.status());
  },
};
