/**
 * Custom metrics, named once: the functions emit them through Powertools Metrics (CloudWatch
 * embedded metric format, namespace `Alki`), the CDK app's dashboard and alarms read them.
 * Powertools puts every metric under the dimensions `service` (the emitting function's
 * service name) and `Store` (the store's prefix); a metric with `by` has one more.
 */
import type { UnitName } from '../units.ts';

export const METRIC_NAMESPACE = 'Alki';
export const STORE_DIMENSION = 'Store';

export interface MetricSpec {
  /** The CloudWatch metric name. */
  readonly name: string;
  /** The one unit that emits it. */
  readonly unit: UnitName;
  readonly metricUnit: 'Count' | 'Bytes';
  /** A further dimension, and its values. */
  readonly by?: { readonly dimension: string; readonly values: readonly string[] };
  /**
   * Counted on every request: held and published with others at most once a minute per
   * container (lambdaEntry's metricsEveryMs). Any other metric is published with the
   * invocation that counted it (the throttles, which alarms watch).
   */
  readonly perRequest?: true;
  readonly description: string;
}

const COMMIT_KINDS = { dimension: 'Kind', values: ['offload', 'compact', 'import'] } as const;

export const METRICS = {
  offloadLag: { name: 'OffloadLagPeriods', unit: 'rotate', metricUnit: 'Count', description: 'Sealed periods still hot (not yet offloaded).' },
  rotationHorizon: {
    name: 'RotationHorizonPeriods',
    unit: 'rotate',
    metricUnit: 'Count',
    description: 'Periods after the current one whose tables are registered: writes can go on this long without rotation.',
  },
  hotRuns: { name: 'HotRuns', unit: 'rotate', metricUnit: 'Count', description: 'Runs in the hot tier (period tables).' },
  coldRuns: { name: 'ColdRuns', unit: 'rotate', metricUnit: 'Count', description: 'Runs in the cold tier (S3).' },
  itemsWritten: {
    name: 'ItemsWritten',
    unit: 'ingest',
    metricUnit: 'Count',
    perRequest: true,
    description: 'Items put or deleted through the API (a batch counts each item).',
  },
  writesThrottled: {
    name: 'WritesThrottled',
    unit: 'ingest',
    metricUnit: 'Count',
    description: "Writes answered 429 because DynamoDB throttled them past the SDK's retries (a period's table, whatever its name, or the index table).",
  },
  readsThrottled: {
    name: 'ReadsThrottled',
    unit: 'read',
    metricUnit: 'Count',
    description: "Reads answered 429 because DynamoDB or S3 throttled them past the SDK's retries.",
  },
  committedRecords: {
    name: 'CommittedRecords',
    unit: 'commit',
    metricUnit: 'Count',
    by: COMMIT_KINDS,
    description: 'Records in the runs made visible, by the kind of commit.',
  },
  committedBytes: {
    name: 'CommittedBytes',
    unit: 'commit',
    metricUnit: 'Bytes',
    by: COMMIT_KINDS,
    description: 'Stored bytes of the runs made visible, by the kind of commit.',
  },
  garbageCollected: {
    name: 'GarbageCollected',
    unit: 'gc',
    metricUnit: 'Count',
    description: 'Released tables, runs, spills and uploads deleted after the grace period.',
  },
  leftoversSwept: {
    name: 'LeftoversSwept',
    unit: 'gc',
    metricUnit: 'Count',
    description: 'What failed attempts left and nothing could still commit, deleted.',
  },
  runsExpired: { name: 'RunsExpired', unit: 'gc', metricUnit: 'Count', description: 'Cold runs dropped because every record is past retention.' },
} as const satisfies Record<string, MetricSpec>;

export type MetricName = keyof typeof METRICS;

/** Powertools' cold start metric, emitted once per container by every function (dimension `function_name` too). */
export const COLD_START_METRIC = 'ColdStart';

/**
 * Error names the state machines end with (their Fail states' `Error`): the CDK app turns
 * each into a metric from the execution logs and alarms on it.
 */
export const EXECUTION_ERRORS = {
  verificationFailed: 'VerificationFailed',
} as const;
