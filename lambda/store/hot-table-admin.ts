/**
 * The hot tables themselves (their items are hot-tables.ts's): created per period with their
 * capacity and write shards, described (state, size, read rate), switched between on-demand and
 * provisioned, dropped. Rotation, the offload's planner, GC and recovery use it; the data
 * plane never does.
 */
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  UpdateTableCommand,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import type { TableCapacity } from '../core/hot-capacity.ts';
import { RATE_QUOTAS } from '../core/limits.ts';
import { hotTableSchema, shardsOfPartitionKey } from '../core/schema.ts';
import { errorName, sleep, translate } from './aws-errors.ts';
import { grant, type Grant } from './grants.ts';

/** What each use of the tables calls (tables by this store's name prefix). */
export const HOT_TABLE_ADMIN_GRANTS = {
  /** describe (the offload's planner: size and read rate) */
  describe: [grant('hotTables', 'dynamodb:DescribeTable')],
  /** create (tags on create need TagResource), describe */
  create: [grant('hotTables', 'dynamodb:CreateTable', 'dynamodb:TagResource', 'dynamodb:DescribeTable')],
  /** setCapacity */
  capacity: [grant('hotTables', 'dynamodb:UpdateTable')],
  /** drop */
  drop: [grant('hotTables', 'dynamodb:DeleteTable')],
} as const satisfies Record<string, readonly Grant[]>;

/** A table as DescribeTable tells it: what rotation needs to converge its capacity. */
export interface TableState {
  readonly status: string;
  readonly mode: TableCapacity['mode'];
  readonly readUnits: number;
  readonly writeUnits: number;
  /** Average item size; undefined while DynamoDB reports no items. */
  readonly itemBytes?: number;
  /** Write shards, from its key schema. */
  readonly shards: number;
  /** Size and item count as DynamoDB reports them (refreshed about every 6 hours on AWS). */
  readonly bytes: number;
  readonly items: number;
  /**
   * Read units a second the table serves: its provisioned capacity, or (on-demand) its warm
   * throughput, a new table's 12,000 when it reports none, within its maximum.
   */
  readonly readRate: number;
}

/** The read units a second a described table serves (TableState.readRate). */
function readRateOf(t: TableDescription): number {
  const provisioned = t.ProvisionedThroughput?.ReadCapacityUnits ?? 0;
  if (provisioned > 0) return provisioned;
  const max = t.OnDemandThroughput?.MaxReadRequestUnits ?? -1;
  return Math.min(t.WarmThroughput?.ReadUnitsPerSecond ?? RATE_QUOTAS.newTableReadUnits, max > 0 ? max : RATE_QUOTAS.tableUnits);
}

const billing = (c: TableCapacity) =>
  c.mode === 'provisioned'
    ? { BillingMode: 'PROVISIONED' as const, ProvisionedThroughput: { ReadCapacityUnits: c.read.initial, WriteCapacityUnits: c.write.initial } }
    : { BillingMode: 'PAY_PER_REQUEST' as const };
export class HotTableAdmin {
  private readonly ddb: DynamoDBClient;

  constructor(ddb: DynamoDBClient) {
    this.ddb = ddb;
  }

  /**
   * Creates a period's table with this capacity and `shards` write shards; idempotent (an
   * existing table is left as it is: rotation converges its capacity, and its shards are
   * what its key schema says). Returns its state once it is ACTIVE.
   */
  async create(table: string, capacity: TableCapacity, shards = 1): Promise<TableState> {
    const schema = hotTableSchema(shards);
    try {
      await this.ddb.send(
        new CreateTableCommand({
          TableName: table,
          ...billing(capacity),
          ...warmThroughputOf(capacity),
          AttributeDefinitions: schema.attributeDefinitions,
          KeySchema: schema.keySchema,
          Tags: [{ Key: 'alki:tier', Value: 'hot' }],
        }),
      );
    } catch (err) {
      if (errorName(err) !== 'ResourceInUseException') translate(err, `create ${table}`);
    }
    return this.waitActive(table);
  }

  /** The table's state, or undefined if it does not exist. */
  async describe(table: string): Promise<TableState | undefined> {
    try {
      const t = (await this.ddb.send(new DescribeTableCommand({ TableName: table }))).Table;
      if (!t) return undefined;
      const items = t.ItemCount ?? 0;
      return {
        status: t.TableStatus ?? 'UNKNOWN',
        // A table created without BillingMode is provisioned; DescribeTable then omits the summary.
        mode: t.BillingModeSummary?.BillingMode === 'PAY_PER_REQUEST' ? 'on-demand' : 'provisioned',
        readUnits: t.ProvisionedThroughput?.ReadCapacityUnits ?? 0,
        writeUnits: t.ProvisionedThroughput?.WriteCapacityUnits ?? 0,
        ...(items > 0 ? { itemBytes: (t.TableSizeBytes ?? 0) / items } : {}),
        shards: shardsOfPartitionKey(t.KeySchema?.find((k) => k.KeyType === 'HASH')?.AttributeName ?? '') ?? 1,
        bytes: t.TableSizeBytes ?? 0,
        items,
        readRate: readRateOf(t),
      };
    } catch (err) {
      if (errorName(err) === 'ResourceNotFoundException') return undefined;
      return translate(err, `describe ${table}`);
    }
  }

  /**
   * Switches the table's billing mode (to provisioned: with the initial throughput), or on a
   * provisioned table sets its throughput. False when the table is busy with an earlier
   * update (ResourceInUseException): the next rotation tries again.
   */
  async setCapacity(table: string, capacity: TableCapacity, from: TableState['mode']): Promise<boolean> {
    const update = from === capacity.mode ? { ProvisionedThroughput: billing(capacity).ProvisionedThroughput } : billing(capacity);
    try {
      await this.ddb.send(new UpdateTableCommand({ TableName: table, ...update }));
      return true;
    } catch (err) {
      if (errorName(err) === 'ResourceInUseException') return false;
      return translate(err, `update the capacity of ${table}`);
    }
  }

  private async waitActive(table: string): Promise<TableState> {
    for (let attempt = 0; attempt < 120; attempt++) {
      const state = await this.describe(table);
      if (state?.status === 'ACTIVE') return state;
      await sleep(Math.min(1000, 50 * 2 ** attempt));
    }
    throw new Error(`${table} did not become ACTIVE`);
  }

  /** Deletes a table; idempotent. */
  async drop(table: string): Promise<void> {
    try {
      await this.ddb.send(new DeleteTableCommand({ TableName: table }));
    } catch (err) {
      if (errorName(err) !== 'ResourceNotFoundException') translate(err, `delete ${table}`);
    }
  }
}

/** CreateTable's WarmThroughput for an on-demand table warmed past a new table's rates (AWS refuses values below them). */
function warmThroughputOf(c: TableCapacity): { WarmThroughput?: { WriteUnitsPerSecond?: number; ReadUnitsPerSecond?: number } } {
  if (c.mode !== 'on-demand' || (c.warmWrites === undefined && c.warmReads === undefined)) return {};
  return {
    WarmThroughput: {
      ...(c.warmWrites !== undefined ? { WriteUnitsPerSecond: c.warmWrites } : {}),
      ...(c.warmReads !== undefined ? { ReadUnitsPerSecond: c.warmReads } : {}),
    },
  };
}
