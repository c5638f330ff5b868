/**
 * Powertools in every function, wired once: structured logs with the Lambda context (request
 * id, cold start, function name; for a state machine's task also its execution and state),
 * metrics in the embedded metric format (the catalogue: core/metrics.ts), and X-Ray traces of
 * the AWS SDK clients. Tracing is on only where Lambda runs the function (AWS_EXECUTION_ENV):
 * the Tracer is imported there only, on the first invocation, because importing the X-Ray SDK
 * enables an async hook on every promise of the process (about 30% of the local system's
 * throughput); elsewhere clients are handed back untouched.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import { METRIC_NAMESPACE, METRICS, STORE_DIMENSION, type MetricName } from './core/metrics.ts';
import { settingsFromEnv } from './core/settings.ts';
import type { ClientHook, Env } from './store/clients.ts';
import { serviceName, type UnitName } from './units.ts';

/** What a state machine adds to each task's input (every Task's Parameters in statemachines/). */
export interface TaskOrigin {
  /** `$$.Execution.Id`. */
  readonly execution: string;
  /** The Task state's own name. */
  readonly state: string;
}

export class Telemetry {
  readonly unit: UnitName;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Set on Lambda from the first invocation on (lambdaEntry loads it). */
  tracer: Tracer | undefined;

  constructor(unit: UnitName) {
    const service = serviceName(unit);
    this.unit = unit;
    this.logger = new Logger({ serviceName: service });
    this.metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: service });
  }

  /** Loads the Tracer where Lambda runs the function; once. */
  async startTracing(): Promise<void> {
    if (this.tracer || !process.env.AWS_EXECUTION_ENV) return;
    const { Tracer } = await import('@aws-lambda-powertools/tracer');
    this.tracer = new Tracer({ serviceName: serviceName(this.unit) });
  }

  /** Hands each AWS SDK client to the Tracer, so every call is a subsegment (clients are made on first use, after startTracing). */
  readonly traceClient: ClientHook = (client) => (this.tracer ? this.tracer.captureAWSv3Client(client) : client);

  /** Publish the stored metrics at the end of this invocation, whenever they were last published: a metric not counted per request was stored. */
  publishNow = false;

  /** Adds one metric of the catalogue; only the unit that owns it may emit it. */
  count(name: MetricName, value: number, by?: string): void {
    const spec: (typeof METRICS)[MetricName] = METRICS[name];
    if (spec.unit !== this.unit) throw new Error(`metric ${spec.name} is emitted by ${spec.unit}, not ${this.unit}`);
    if (!('perRequest' in spec)) this.publishNow = true;
    if ('by' in spec) {
      if (by === undefined || !(spec.by.values as readonly string[]).includes(by))
        throw new Error(`metric ${spec.name} needs ${spec.by.dimension} in ${spec.by.values.join(', ')}`);
      // Dimensions apply to everything published together: a metric split by one is published alone.
      const single = this.metrics.singleMetric();
      single.addDimension(spec.by.dimension, by);
      single.addMetric(spec.name, spec.metricUnit, value);
      return;
    }
    this.metrics.addMetric(spec.name, spec.metricUnit, value);
  }
}

export type LambdaEntry<E, R> = (event: E, context?: Partial<Context>) => Promise<R>;

/** Milliseconds the invocation has left, when the runtime says (Lambda's context and the local bundles' do; the source runtime's does not). */
export const remainingTimeOf = (context: Partial<Context> | undefined): (() => number) | undefined => {
  const f = context?.getRemainingTimeInMillis;
  return typeof f === 'function' ? () => f.call(context) : undefined;
};

/**
 * The Lambda entry around a handler: the Lambda context and `keys` of the event in every log
 * line, one subsegment per invocation, the cold start metric, the metrics published at the
 * invocation's end (at most once a `metricsEveryMs`), and one error line per failed invocation. On the first invocation,
 * the function's environment sets the log level and the `Store` dimension.
 */
export function lambdaEntry<E, R>(
  t: Telemetry,
  env: () => Env,
  handle: (event: E, context?: Partial<Context>) => Promise<R>,
  keys: (event: E) => Record<string, string | undefined> = () => ({}),
  opts: { metricsEveryMs?: number; now?: () => number } = {},
): LambdaEntry<E, R> {
  let tracing: Promise<void> | undefined;
  const now = opts.now ?? Date.now;
  let published = now();
  return async (event, context) => {
    const { logger, metrics } = t;
    if (!tracing) {
      // Configured once, before anything awaits: invocations at once (locally) configure nothing twice.
      const e = env();
      const level = e.POWERTOOLS_LOG_LEVEL;
      if (level) logger.setLogLevel(level as Parameters<Logger['setLogLevel']>[0]);
      metrics.setDefaultDimensions({ [STORE_DIMENSION]: settingsFromEnv(e).prefix });
      tracing = t.startTracing();
    }
    await tracing;
    if (context) logger.addContext(context as Context);
    logger.appendKeys(keys(event));
    metrics.captureColdStartMetric(context?.functionName);
    const tracer = t.tracer;
    const segment = tracer?.isTracingEnabled() ? tracer.getSegment() : undefined;
    const subsegment = segment?.addNewSubsegment(`## ${serviceName(t.unit)}`);
    if (subsegment) tracer!.setSegment(subsegment);
    tracer?.annotateColdStart();
    tracer?.addServiceNameAnnotation();
    try {
      return await handle(event, context);
    } catch (err) {
      logger.error('invocation failed', err as Error);
      tracer?.addErrorAsMetadata(err as Error);
      throw err;
    } finally {
      // Every metrics line is CloudWatch Logs bytes: the data plane's are published at most once a
      // metricsEveryMs (and whenever a metric holds 100 values, Powertools' limit), not per request.
      if (metrics.hasStoredMetrics() && (t.publishNow || now() - published >= (opts.metricsEveryMs ?? 0))) {
        metrics.publishStoredMetrics();
        published = now();
        t.publishNow = false;
      }
      subsegment?.close();
      if (segment) tracer!.setSegment(segment);
      logger.resetKeys();
    }
  };
}

/** The log keys of a state machine's task: its execution and its state (any input: read before it is validated). */
export const taskKeys = (event: unknown): Record<string, string | undefined> => {
  const task = (event as { readonly task?: Partial<TaskOrigin> } | null | undefined)?.task;
  return { execution: typeof task?.execution === 'string' ? task.execution : undefined, state: typeof task?.state === 'string' ? task.state : undefined };
};
