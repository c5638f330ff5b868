/**
 * Distributed Map states for the local runner. aws-local-stepfunctions validates a Map in
 * DISTRIBUTED mode but runs it inline, without its ItemReader or ResultWriter; AWS runs each
 * item as a child execution with its own history. This runs it as AWS does: the items read
 * from the S3 object the ItemReader names (as the state machine's role, through the front
 * door), each item a child execution of the ItemProcessor (started as the role, its history
 * and payloads held to the quotas on their own), at most MaxConcurrency at once, failures
 * over the tolerated threshold failing the state with States.ExceedToleratedFailureThreshold,
 * and the results written where the ResultWriter says, the state's result being only where
 * they are. The runner swaps each such Map for a Task state that calls `run` here, keeping the
 * Map's InputPath, ResultPath, Retry, Catch and Next for aws-local-stepfunctions to apply.
 *
 * Simplifications, all on paths Alki's ASL does not take: JSON item lists only (no CSV,
 * manifest or object listing), no ItemBatcher, one results file per status instead of AWS's
 * 5 GB parts, JSONPath limited to dotted paths.
 */
import { randomUUID } from 'node:crypto';

/** A JSON value: what states pass between them. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface DistributedMapState {
  readonly Type: 'Map';
  readonly ItemProcessor: {
    readonly ProcessorConfig?: { readonly Mode?: string; readonly ExecutionType?: string };
    readonly StartAt: string;
    readonly States: Record<string, unknown>;
  };
  readonly ItemReader?: {
    readonly Resource: string;
    readonly ReaderConfig?: { readonly InputType?: string; readonly MaxItems?: number };
    readonly Parameters?: Record<string, Json>;
  };
  readonly ItemsPath?: string;
  readonly ItemSelector?: Record<string, Json>;
  readonly ItemBatcher?: unknown;
  readonly MaxConcurrency?: number;
  readonly ToleratedFailureCount?: number;
  readonly ToleratedFailurePercentage?: number;
  readonly ResultWriter?: { readonly Resource: string; readonly Parameters?: Record<string, Json> };
  readonly Label?: string;
}

export const isDistributed = (s: { Type?: string; ItemProcessor?: { ProcessorConfig?: { Mode?: string } } }): boolean =>
  s.Type === 'Map' && s.ItemProcessor?.ProcessorConfig?.Mode === 'DISTRIBUTED';

/** The fields of a Map state that aws-local-stepfunctions applies to the Task standing in for it. */
const KEPT = ['Comment', 'InputPath', 'OutputPath', 'ResultPath', 'ResultSelector', 'Retry', 'Catch', 'Next', 'End'];

/** The Task that stands in for a Distributed Map in the definition handed to aws-local-stepfunctions. */
export function standIn(state: Record<string, unknown>): Record<string, unknown> {
  const t: Record<string, unknown> = { Type: 'Task', Resource: 'arn:aws:states:::local:distributed-map' };
  for (const k of KEPT) if (k in state) t[k] = state[k];
  return t;
}

export class StatesError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** `$.a.b` on the state's input, `$$.a.b` on the context object. */
export function evalPath(path: string, input: Json, context: Json): Json {
  const [root, rest] = path.startsWith('$$') ? [context, path.slice(2)] : path.startsWith('$') ? [input, path.slice(1)] : [undefined, path];
  if (root === undefined || (rest !== '' && !/^(\.[A-Za-z_][\w-]*)+$/.test(rest)))
    throw new StatesError('States.Runtime', `the local runner evaluates dotted JSONPaths only, not ${path}`);
  let v: Json | undefined = root;
  for (const part of rest.split('.').slice(1)) {
    v = v !== null && typeof v === 'object' && !Array.isArray(v) ? v[part] : undefined;
    if (v === undefined) throw new StatesError('States.Runtime', `the JSONPath ${path} could not be found in the input`);
  }
  return v;
}

/** A Payload Template: fields ending in `.$` take the value their path names. */
export function payload(template: Record<string, Json>, input: Json, context: Json): Json {
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(template)) {
    if (k.endsWith('.$')) out[k.slice(0, -2)] = evalPath(String(v), input, context);
    else out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) ? payload(v, input, context) : v;
  }
  return out;
}

/** S3 as the state machine's role: what the ItemReader and ResultWriter call. */
export interface MapObjects {
  get(bucket: string, key: string): Promise<string>;
  put(bucket: string, key: string, body: string): Promise<void>;
}

export interface ChildOutcome {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: Json;
  readonly error?: string;
  readonly cause?: string;
  /** Events in the child's own history. */
  readonly historyEvents: number;
}

export interface MapRunRecord {
  readonly state: string;
  readonly mapRunArn: string;
  readonly items: number;
  succeeded: number;
  failed: number;
  /** The most child executions that ran at once. */
  maxRunning: number;
  /** The largest history among the children. */
  maxChildHistoryEvents: number;
}

export interface DistributedMapRun {
  readonly state: string;
  readonly definition: DistributedMapState;
  /** The parent's state machine ARN: child executions and the Map Run are named after it. */
  readonly stateMachineArn: string;
  readonly objects: MapObjects | undefined;
  /** Starts one child execution (authorized as states:StartExecution by the caller) and settles with its outcome. */
  readonly child: (input: Json, executionArn: string) => Promise<ChildOutcome>;
  readonly onMapRun?: (r: MapRunRecord) => void;
}

const s3Param = (p: Record<string, Json> | undefined, name: string, input: Json, context: Json): string => {
  const v = p ? (payload(p, input, context) as Record<string, Json>)[name] : undefined;
  if (typeof v !== 'string' || v === '') throw new StatesError('States.Runtime', `the Map's ${name} is not a string`);
  return v;
};

async function readItems(m: DistributedMapRun, input: Json, context: Json): Promise<Json[]> {
  const d = m.definition;
  if (!d.ItemReader) {
    const items = d.ItemsPath ? evalPath(d.ItemsPath, input, context) : input;
    if (!Array.isArray(items)) throw new StatesError('States.Runtime', 'Input of Map state must be an array or ItemsPath property must point to an array');
    return items;
  }
  const r = d.ItemReader;
  if (r.Resource !== 'arn:aws:states:::s3:getObject' || (r.ReaderConfig?.InputType ?? 'JSON') !== 'JSON') {
    throw new StatesError(
      'States.ItemReaderFailed',
      `the local runner reads JSON objects only (s3:getObject, InputType JSON), not ${r.Resource} ${r.ReaderConfig?.InputType}`,
    );
  }
  if (!m.objects) throw new StatesError('States.ItemReaderFailed', 'no S3 for the ItemReader');
  const bucket = s3Param(r.Parameters, 'Bucket', input, context);
  const key = s3Param(r.Parameters, 'Key', input, context);
  let items: unknown;
  try {
    items = JSON.parse(await m.objects.get(bucket, key));
  } catch (err) {
    throw new StatesError('States.ItemReaderFailed', `reading s3://${bucket}/${key}: ${(err as Error).message}`);
  }
  if (!Array.isArray(items)) throw new StatesError('States.ItemReaderFailed', `s3://${bucket}/${key} is not a JSON array`);
  return r.ReaderConfig?.MaxItems ? items.slice(0, r.ReaderConfig.MaxItems) : (items as Json[]);
}

/** Runs a Distributed Map on `input` (the state's effective input); resolves with its result or throws its error. */
export async function runDistributedMap(m: DistributedMapRun, input: Json): Promise<Json> {
  const d = m.definition;
  if (d.ItemBatcher) throw new StatesError('States.Runtime', 'the local runner does not batch items (ItemBatcher)');
  const context: Json = {};
  const items = await readItems(m, input, context);
  const label = d.Label ?? m.state;
  const run = randomUUID();
  const mapRunArn = `${m.stateMachineArn.replace(':stateMachine:', ':mapRun:')}/${label}:${run}`;
  const record: MapRunRecord = { state: m.state, mapRunArn, items: items.length, succeeded: 0, failed: 0, maxRunning: 0, maxChildHistoryEvents: 0 };
  m.onMapRun?.(record);
  const tolerated = Math.max(d.ToleratedFailureCount ?? 0, Math.floor(((d.ToleratedFailurePercentage ?? 0) / 100) * items.length));
  const limit = d.MaxConcurrency && d.MaxConcurrency > 0 ? d.MaxConcurrency : 10_000;
  const outcomes: { input: Json; arn: string; outcome: ChildOutcome }[] = new Array(items.length);
  let next = 0;
  let running = 0;
  let exceeded: ChildOutcome | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && !exceeded) {
      const i = next++;
      const childInput = d.ItemSelector ? payload(d.ItemSelector, input, { Map: { Item: { Index: i, Value: items[i]! } } }) : items[i]!;
      const arn = `${m.stateMachineArn.replace(':stateMachine:', ':execution:')}/${label}:${randomUUID()}`;
      running++;
      record.maxRunning = Math.max(record.maxRunning, running);
      const outcome = await m.child(childInput, arn);
      running--;
      record.maxChildHistoryEvents = Math.max(record.maxChildHistoryEvents, outcome.historyEvents);
      outcomes[i] = { input: childInput, arn, outcome };
      if (outcome.status === 'SUCCEEDED') record.succeeded++;
      else if (++record.failed > tolerated) exceeded ??= outcome;
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (exceeded) {
    throw new StatesError(
      'States.ExceedToleratedFailureThreshold',
      `The specified tolerated failure threshold was exceeded: ${record.failed} of ${items.length} child executions of ${m.state} failed; the first: ${exceeded.error}: ${exceeded.cause ?? ''}`,
    );
  }
  const results = outcomes.map((o) => ({
    ExecutionArn: o.arn,
    Input: JSON.stringify(o.input),
    Output: JSON.stringify(o.outcome.output ?? null),
    Status: o.outcome.status,
  }));
  if (!d.ResultWriter) return outcomes.map((o) => o.outcome.output ?? null);
  const w = d.ResultWriter;
  if (w.Resource !== 'arn:aws:states:::s3:putObject' || !m.objects)
    throw new StatesError('States.ResultWriterFailed', `the local runner writes results with s3:putObject only, not ${w.Resource}`);
  const bucket = s3Param(w.Parameters, 'Bucket', input, context);
  const prefix = s3Param(w.Parameters, 'Prefix', input, context);
  const dir = `${prefix}/${run}`;
  const written: Record<string, Json[]> = { SUCCEEDED: [], FAILED: [] };
  try {
    await m.objects.put(bucket, `${dir}/SUCCEEDED_0.json`, JSON.stringify(results));
    written.SUCCEEDED!.push({ Key: `${dir}/SUCCEEDED_0.json`, Size: 0 });
    await m.objects.put(bucket, `${dir}/manifest.json`, JSON.stringify({ DestinationBucket: bucket, MapRunArn: mapRunArn, ResultFiles: written }));
  } catch (err) {
    throw new StatesError('States.ResultWriterFailed', `writing the results to s3://${bucket}/${dir}/: ${(err as Error).message}`);
  }
  return { MapRunArn: mapRunArn, ResultWriterDetails: { Bucket: bucket, Key: `${dir}/manifest.json` } };
}
