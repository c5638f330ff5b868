/**
 * Lambda entry of rotation: on its own schedule (an EventBridge event), and as the
 * lifecycle's first task, where it first makes the execution single-flight: an execution
 * that finds an earlier one of its state machine running ends at once (that one does the
 * work). Emits the store's health metrics.
 */
import { systemClock, type Clock } from '../core/seq.ts';
import { autoScalingClientFrom, MAX_ATTEMPTS, storeEnvFrom, type Env, type StoreEnv } from '../store/clients.ts';
import { RunningExecutions } from '../store/executions.ts';
import { ColdBucket } from '../store/cold-bucket.ts';
import { HotTableAdmin } from '../store/hot-table-admin.ts';
import { ManifestStore } from '../store/manifest-store.ts';
import { TableScaling } from '../store/table-scaling.ts';
import { rotate, type RotateResult } from './rotate.ts';
import { parseTaskInput, ROTATE_FROM_LIFECYCLE, ROTATE_INPUT } from '../task-contract.ts';
import { lambdaEntry, taskKeys, Telemetry } from '../telemetry.ts';

export type RotateOutput =
  (RotateResult & { readonly otherExecution: null }) | { readonly periods: []; readonly offloadLagPeriods: 0; readonly otherExecution: string };

/** The earliest other running execution, if this one is not the earliest (ties broken by ARN). */
export function earlierExecution(
  mine: { executionArn: string; startTime: string },
  running: readonly { executionArn: string; startDate: Date }[],
): string | undefined {
  const t = Date.parse(mine.startTime);
  const earlier = running
    .filter((e) => e.executionArn !== mine.executionArn && (e.startDate.getTime() < t || (e.startDate.getTime() === t && e.executionArn < mine.executionArn)))
    .sort((a, b) => a.startDate.getTime() - b.startDate.getTime() || (a.executionArn < b.executionArn ? -1 : 1));
  return earlier[0]?.executionArn;
}

export function createRotateHandler(env: () => Env, now: Clock = systemClock) {
  const t = new Telemetry('rotate');
  // Clients are made on first use and kept while the container lives.
  let deps: { e: StoreEnv; executions: RunningExecutions; scaling: TableScaling } | undefined;
  const handle = async (event: unknown): Promise<RotateOutput> => {
    const input = parseTaskInput('rotate', ROTATE_INPUT, event);
    deps ??= {
      e: storeEnvFrom(env(), t.traceClient, MAX_ATTEMPTS.background),
      executions: RunningExecutions.fromEnv(env(), t.traceClient),
      scaling: new TableScaling(autoScalingClientFrom(env(), t.traceClient)),
    };
    const { e, executions, scaling } = deps;
    const lifecycle = ROTATE_FROM_LIFECYCLE.safeParse(input);
    if (lifecycle.success) {
      const { execution } = lifecycle.data;
      const other = earlierExecution(execution, await executions.list(execution.stateMachineArn));
      if (other) return { periods: [], offloadLagPeriods: 0, otherExecution: other };
    }
    const result = await rotate(
      { tables: new HotTableAdmin(e.ddb), scaling, manifests: new ManifestStore(e.ddb, e.indexTable, new ColdBucket(e.s3, e.bucket)), settings: e.settings },
      now(),
    );
    // A failed rotation emits nothing, and the horizon alarm treats missing data as breaching.
    t.count('offloadLag', result.offloadLagPeriods);
    t.count('rotationHorizon', result.horizonPeriods);
    t.count('hotRuns', result.hotRuns);
    t.count('coldRuns', result.coldRuns);
    return { ...result, otherExecution: null };
  };
  return lambdaEntry(t, env, handle, taskKeys);
}

export const handler = createRotateHandler(() => process.env);
