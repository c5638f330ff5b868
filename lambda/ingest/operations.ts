/** Ingest's operations: PUT and DELETE of one item, and batch writes, on the data plane (the function and direct mode serve them). */
import type { Operations } from '../api/dispatch.ts';
import { header, json, pathParam, type HttpEvent } from '../api/http.ts';
import { etagOf, parsePrecondition, type Precondition } from '../core/precondition.ts';
import type { DataPlane, WriteOp } from '../data-plane/data-plane.ts';

export const ingestOps: Operations<DataPlane, 'ingest'> = {
  async putItem(dp, { event, body }, t) {
    const seq = await dp.put(pathParam(event, 'pk'), pathParam(event, 'sk'), body, preconditionOf(event));
    t.count('itemsWritten', 1);
    return json(200, { seq }, { etag: etagOf(seq) });
  },
  async deleteItem(dp, { event }, t) {
    const seq = await dp.delete(pathParam(event, 'pk'), pathParam(event, 'sk'), preconditionOf(event));
    t.count('itemsWritten', 1);
    return json(200, { seq }, { etag: etagOf(seq) });
  },
  async batchWrite(dp, { body }, t) {
    const ops = body.items.map((it): WriteOp => {
      const pre = parsePrecondition(it.ifMatch, it.ifNoneMatch);
      const op: WriteOp = 'delete' in it ? { pk: it.pk, sk: it.sk, delete: true } : { pk: it.pk, sk: it.sk, value: it.value };
      return pre ? { ...op, pre } : op;
    });
    const results = await dp.batchWrite(ops);
    t.count('itemsWritten', results.filter((r) => 'seq' in r).length);
    return json(200, { results });
  },
};

const preconditionOf = (event: HttpEvent): Precondition | undefined => parsePrecondition(header(event, 'if-match'), header(event, 'if-none-match'));
