/**
 * Lambda entry of the re-scan: one segment of an offloaded table read again, independently
 * of the offload's scan, its count and setsum recorded under the job for verification to add
 * up. It waits on DynamoDB at the pace its share of the table's read units allows and holds
 * nothing but a page, so it runs at a fraction of the memory (and price) of the functions
 * that sort and merge.
 */
import type { Context } from 'aws-lambda';
import type { Env } from '../store/clients.ts';
import { lazyStores } from '../store/stores.ts';
import { rescanTask } from '../segment-scan.ts';
import { parseTaskInput, RESCAN_INPUT, type TaskDone } from '../task-contract.ts';
import { lambdaEntry, remainingTimeOf, taskKeys, Telemetry } from '../telemetry.ts';

export function createRescanHandler(env: () => Env) {
  const t = new Telemetry('rescan');
  const stores = lazyStores(env, t.traceClient);
  const handle = async (event: unknown, context?: Partial<Context>): Promise<TaskDone> => {
    const input = parseTaskInput('rescan', RESCAN_INPUT, event);
    return rescanTask(stores(), input.runId, input.segment, { remainingMs: remainingTimeOf(context) });
  };
  return lambdaEntry(t, env, handle, taskKeys);
}

export const handler = createRescanHandler(() => process.env);
