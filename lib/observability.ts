/**
 * A dashboard and the alarms a platform team needs: executions failing, the API failing,
 * offload falling behind, the horizon of ready period tables running short, and throttling
 * (of the data plane's requests, of its functions, of the index table).
 */
import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  SearchExpression,
  SingleValueWidget,
  TextWidget,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, MetricFilter, type ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { COLD_START_METRIC, EXECUTION_ERRORS, METRIC_NAMESPACE, METRICS, STORE_DIMENSION, type MetricName } from '../lambda/core/metrics.ts';
import { serviceName, type UnitName } from '../lambda/units.ts';

export interface ObservabilityProps {
  readonly prefix: string;
  readonly api: HttpApi;
  readonly functions: Readonly<Record<UnitName, IFunction>>;
  readonly indexTable: ITableV2;
  readonly lifecycle: StateMachine;
  /** The lifecycle's execution log group (logging level ALL). */
  readonly lifecycleLogs: ILogGroup;
  /** How often the lifecycle runs. */
  readonly lifecycleEvery: Duration;
  /** How often rotation runs on its own (and so the store metrics are emitted). */
  readonly rotationEvery: Duration;
}

export class Observability extends Construct {
  readonly dashboard: Dashboard;
  readonly alarms: Record<
    | 'executionFailed'
    | 'verificationFailed'
    | 'api5xx'
    | 'offloadLag'
    | 'rotationHorizonLow'
    | 'dataPlaneThrottled'
    | 'dataPlaneFunctionsThrottled'
    | 'indexTableThrottled',
    Alarm
  >;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const five = Duration.minutes(5);
    // A metric of the catalogue, under the dimensions Powertools gives it: the emitting function's service and the store.
    const custom = (name: MetricName, opts: { statistic: string; period: Duration; by?: string }): Metric => {
      const spec: (typeof METRICS)[MetricName] = METRICS[name];
      const dimensionsMap: Record<string, string> = { service: serviceName(spec.unit), [STORE_DIMENSION]: props.prefix };
      if ('by' in spec && opts.by) dimensionsMap[spec.by.dimension] = opts.by;
      return new Metric({
        namespace: METRIC_NAMESPACE,
        metricName: spec.name,
        dimensionsMap,
        statistic: opts.statistic,
        period: opts.period,
        ...(opts.by ? { label: `${spec.name} ${opts.by}` } : {}),
      });
    };
    // Rotation emits the store metrics on its schedule; a window of two runs tolerates one late run.
    const store = (name: MetricName, statistic = 'Maximum'): Metric =>
      custom(name, { statistic, period: Duration.minutes(props.rotationEvery.toMinutes() * 2) });
    const sum = (name: MetricName, by?: string): Metric => custom(name, { statistic: 'Sum', period: five, ...(by ? { by } : {}) });
    const byKind = (name: 'committedRecords' | 'committedBytes'): Metric[] => METRICS[name].by.values.map((k) => sum(name, k));
    const api = props.api;
    const requests = api.metricCount({ period: five, statistic: 'Sum' });
    const errors5xx = api.metricServerError({ period: five, statistic: 'Sum' });
    const errors4xx = api.metricClientError({ period: five, statistic: 'Sum' });

    // Verification failures end an execution with the Fail state's Error "VerificationFailed".
    const verificationFailures = new MetricFilter(this, 'VerificationFailures', {
      logGroup: props.lifecycleLogs,
      filterPattern: FilterPattern.all(
        FilterPattern.stringValue('$.type', '=', 'ExecutionFailed'),
        FilterPattern.stringValue('$.details.error', '=', EXECUTION_ERRORS.verificationFailed),
      ),
      metricNamespace: METRIC_NAMESPACE,
      metricName: EXECUTION_ERRORS.verificationFailed,
      metricValue: '1',
    });

    // Throttling. A period's table has a new name every period, so the data plane counts what
    // DynamoDB throttled past the SDK's retries (a 429 to a caller), whatever the table; the
    // index table's own throttle events; and Lambda refusing ingest and read past their reserved concurrency.
    const writesThrottled = sum('writesThrottled');
    const readsThrottled = sum('readsThrottled');
    const dataPlaneFns = [props.functions.ingest, props.functions.read];
    const fnThrottles = new MathExpression({
      expression: 'ingest + reads',
      usingMetrics: {
        ingest: dataPlaneFns[0]!.metricThrottles({ period: five, statistic: 'Sum' }),
        reads: dataPlaneFns[1]!.metricThrottles({ period: five, statistic: 'Sum' }),
      },
      label: 'ingest and read invocations throttled',
      period: five,
    });
    const indexEvents = (metricName: 'ReadThrottleEvents' | 'WriteThrottleEvents'): Metric =>
      new Metric({
        namespace: 'AWS/DynamoDB',
        metricName,
        dimensionsMap: { TableName: props.indexTable.tableName },
        statistic: 'Sum',
        period: five,
        label: `index table ${metricName}`,
      });
    // Search expressions can draw the period tables (by name) on a dashboard, not feed an alarm.
    const hotEvents = (metricName: 'ReadThrottleEvents' | 'WriteThrottleEvents'): SearchExpression =>
      new SearchExpression({
        expression: `SEARCH('{AWS/DynamoDB,TableName} MetricName="${metricName}" TableName=${props.prefix} TableName=hot', 'Sum', 300)`,
        label: metricName,
      });

    this.alarms = {
      dataPlaneThrottled: new Alarm(this, 'DataPlaneThrottled', {
        alarmDescription:
          "Writes or reads were answered 429 because DynamoDB throttled them past the SDK's retries (a hot key beyond its shards, a period table above its warm throughput, or the index table). Callers retry after Retry-After; sustained, raise ALKI_HOT_SHARDS or ALKI_PEAK_WRITES_PER_SECOND.",
        metric: new MathExpression({
          expression: 'writes + reads',
          usingMetrics: { writes: writesThrottled, reads: readsThrottled },
          label: 'data plane requests throttled',
          period: five,
        }),
        threshold: 5,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      dataPlaneFunctionsThrottled: new Alarm(this, 'DataPlaneFunctionsThrottled', {
        alarmDescription:
          'Lambda throttled ingest or read invocations: their reserved concurrency (ingestConcurrency, readConcurrency) is too small for the request rate.',
        metric: fnThrottles,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      indexTableThrottled: new Alarm(this, 'IndexTableThrottled', {
        alarmDescription:
          'The index table throttled reads or writes for 15 minutes: reads of the manifest and run indexes slow down, and lifecycle tasks wait. A new table grows to twice its previous peak within 30 minutes; sustained throttling means a hot partition key.',
        metric: new MathExpression({
          expression: 'r + w',
          usingMetrics: { r: indexEvents('ReadThrottleEvents'), w: indexEvents('WriteThrottleEvents') },
          label: 'index table throttle events',
          period: five,
        }),
        threshold: 1,
        evaluationPeriods: 3,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      verificationFailed: new Alarm(this, 'VerificationFailed', {
        alarmDescription: 'A new run failed verification (keys, counts or setsum): nothing was committed. Inspect the failed execution before re-running.',
        metric: verificationFailures.metric({ period: five, statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      executionFailed: new Alarm(this, 'ExecutionFailed', {
        alarmDescription:
          'A lifecycle execution failed (rotation, offload, verification or compaction); the manifest is unchanged. Open the execution in the Step Functions console.',
        metric: props.lifecycle.metricFailed({ period: five, statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      api5xx: new Alarm(this, 'Api5xx', {
        alarmDescription: 'The HTTP API answered 5xx (includes 503 while a period table is not ready).',
        metric: errors5xx,
        threshold: 5,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      offloadLag: new Alarm(this, 'OffloadLag', {
        alarmDescription: 'More than 2 sealed periods are still hot: offload is falling behind, and hot storage costs grow.',
        metric: store('offloadLag'),
        threshold: 2,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      rotationHorizonLow: new Alarm(this, 'RotationHorizonLow', {
        alarmDescription: 'Fewer than 2 periods ahead have a ready table: when they run out, ingest answers 503. Rotation is failing or not scheduled.',
        metric: store('rotationHorizon', 'Minimum'),
        threshold: 2,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        // No report from rotation is itself the problem.
        treatMissingData: TreatMissingData.BREACHING,
      }),
    };

    const fnMetrics = (pick: (fn: IFunction) => IMetric): IMetric[] => Object.values(props.functions).map(pick);
    // Powertools' cold start metric: one per new container, under the function's service, store and name.
    const coldStarts = (Object.entries(props.functions) as [UnitName, IFunction][]).map(
      ([u, fn]) =>
        new Metric({
          namespace: METRIC_NAMESPACE,
          metricName: COLD_START_METRIC,
          dimensionsMap: { service: serviceName(u), [STORE_DIMENSION]: props.prefix, function_name: fn.functionName },
          statistic: 'Sum',
          period: five,
          label: u,
        }),
    );
    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: `${props.prefix}-store` });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# Alki store \`${props.prefix}\`\nIngest and reads through the HTTP API; lifecycle \`${props.prefix}-lifecycle\`.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'API requests', left: [requests], width: 8 }),
      new GraphWidget({ title: 'API errors', left: [errors4xx, errors5xx], width: 8 }),
      new GraphWidget({
        title: 'API latency (p50, p99)',
        left: [api.metricLatency({ period: five, statistic: 'p50' }), api.metricLatency({ period: five, statistic: 'p99' })],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Function errors', left: fnMetrics((f) => f.metricErrors({ period: five })), width: 8 }),
      new GraphWidget({ title: 'Function duration p99', left: fnMetrics((f) => f.metricDuration({ period: five, statistic: 'p99' })), width: 8 }),
      new GraphWidget({ title: 'Function throttles', left: fnMetrics((f) => f.metricThrottles({ period: five })), width: 8 }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Items written (puts and deletes)', left: [sum('itemsWritten')], width: 6 }),
      new GraphWidget({ title: 'Records made visible, by commit kind', left: byKind('committedRecords'), width: 6 }),
      new GraphWidget({ title: 'Bytes made visible, by commit kind', left: byKind('committedBytes'), width: 6 }),
      new GraphWidget({
        title: 'Garbage collected, leftovers swept, runs expired',
        left: [sum('garbageCollected'), sum('leftoversSwept'), sum('runsExpired')],
        width: 6,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Data plane requests throttled (429)',
        left: [writesThrottled, readsThrottled, fnThrottles],
        leftAnnotations: [{ value: 5, label: 'alarm' }],
        width: 8,
      }),
      new GraphWidget({ title: 'Index table throttle events', left: [indexEvents('ReadThrottleEvents'), indexEvents('WriteThrottleEvents')], width: 8 }),
      new GraphWidget({
        title: 'Period tables throttle events (by table)',
        left: [hotEvents('ReadThrottleEvents'), hotEvents('WriteThrottleEvents')],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(new GraphWidget({ title: 'Cold starts', left: coldStarts, width: 24 }));
    this.dashboard.addWidgets(
      new SingleValueWidget({ title: 'Runs by tier', metrics: [store('hotRuns'), store('coldRuns')], width: 8 }),
      new GraphWidget({
        title: 'Offload lag (sealed periods still hot)',
        left: [store('offloadLag')],
        leftAnnotations: [{ value: 2, label: 'alarm' }],
        width: 8,
      }),
      new GraphWidget({
        title: 'Periods ahead with a ready table',
        left: [store('rotationHorizon', 'Minimum')],
        leftAnnotations: [{ value: 2, label: 'alarm' }],
        width: 8,
      }),
      new GraphWidget({
        title: 'Lifecycle executions',
        left: [
          props.lifecycle.metricStarted({ period: five }),
          props.lifecycle.metricSucceeded({ period: five }),
          props.lifecycle.metricFailed({ period: five }),
          new MathExpression({
            expression: 'm1 - m2',
            usingMetrics: { m1: props.lifecycle.metricStarted({ period: five }), m2: props.lifecycle.metricSucceeded({ period: five }) },
            label: 'not succeeded',
            period: five,
          }),
        ],
        width: 8,
      }),
    );
  }
}
