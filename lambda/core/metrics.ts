/**
 * Custom metrics, named once: handlers emit them (CloudWatch embedded metric format, one
 * JSON line on stdout), the CDK app's dashboard and alarms read them.
 */
export const METRICS = {
  namespace: 'Alki',
  dimension: 'Store',
  /** Sealed periods still hot (not yet offloaded). */
  offloadLag: 'OffloadLagPeriods',
  /** Periods after the current one whose tables are registered: writes can go on this long without rotation. */
  rotationHorizon: 'RotationHorizonPeriods',
  hotRuns: 'HotRuns',
  coldRuns: 'ColdRuns',
} as const;

export type MetricName = Exclude<keyof typeof METRICS, 'namespace' | 'dimension'>;

/** One EMF line: CloudWatch turns it into metrics; locally it is a readable log line. */
export function emfLine(store: string, values: Partial<Record<MetricName, number>>, now = Date.now()): string {
  const entries = Object.entries(values) as [MetricName, number][];
  return JSON.stringify({
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [{ Namespace: METRICS.namespace, Dimensions: [[METRICS.dimension]], Metrics: entries.map(([k]) => ({ Name: METRICS[k], Unit: 'Count' })) }],
    },
    [METRICS.dimension]: store,
    ...Object.fromEntries(entries.map(([k, v]) => [METRICS[k], v])),
  });
}

/**
 * Error names the state machines end with (their Fail states' `Error`): the CDK app turns
 * each into a metric from the execution logs and alarms on it.
 */
export const EXECUTION_ERRORS = {
  verificationFailed: 'VerificationFailed',
} as const;
