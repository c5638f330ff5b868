/**
 * DynamoDB's TransactWriteItems for the embedded system: dynalite has no transactions, and
 * Alki's conditional writes need one (a put in one period's table and a condition check in
 * another's). The front door serves it as DynamoDB documents it: all or nothing, conditions
 * checked against the items as they are, no two actions on one item, at most 100 actions and
 * 4 MB, TransactionCanceledException with a reason per action. Isolation: a transaction holds
 * the tables' writes off while it checks and writes (plain writes share a lock it takes
 * alone), so no write lands between its check and its put.
 *
 * Not emulated, and said so when asked for: Update actions, ClientRequestToken idempotency,
 * TransactionConflict (a conflict cannot happen here: transactions run one at a time), and
 * condition expressions beyond comparisons, attribute_exists/attribute_not_exists, AND, OR,
 * NOT and parentheses. Tests reach AWS's TransactionConflict through aws-sdk-client-mock.
 */
import { DeleteItemCommand, DescribeTableCommand, GetItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DdbItem } from '../lambda/store/paging.ts';

/** What a DynamoDB error answer says: its type and message, and a transaction's reasons. */
export class DynamoAnswerError extends Error {
  readonly type: string;
  readonly reasons: readonly { Code: string; Message?: string }[] | undefined;
  constructor(type: string, message: string, reasons?: readonly { Code: string; Message?: string }[]) {
    super(message);
    this.type = type;
    this.reasons = reasons;
  }
}

const validation = (message: string): DynamoAnswerError => new DynamoAnswerError('ValidationException', message);

/** Readers-writer lock: plain writes share it, a transaction holds it alone. */
export class WriteLock {
  private tail: Promise<void> = Promise.resolve();
  private readonly active = new Set<Promise<unknown>>();

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    await this.tail;
    const p = fn();
    this.active.add(p);
    try {
      return await p;
    } finally {
      this.active.delete(p);
    }
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.tail;
    let release!: () => void;
    this.tail = new Promise((r) => (release = r));
    try {
      await prev;
      await Promise.allSettled([...this.active]);
      return await fn();
    } finally {
      release();
    }
  }
}

interface Condition {
  readonly ConditionExpression?: string;
  readonly ExpressionAttributeNames?: Record<string, string>;
  readonly ExpressionAttributeValues?: DdbItem;
}

type Operand = { attr: string } | { value: AttributeValue };

/** A condition expression's grammar, as far as the embedded system evaluates it. */
export function evaluateCondition(c: Condition, item: DdbItem | undefined): boolean {
  const text = c.ConditionExpression;
  if (text === undefined) return true;
  const tokens = text.match(/\s*(attribute_not_exists|attribute_exists|AND|OR|NOT|<>|<=|>=|[=<>(),]|[#:]?[A-Za-z0-9_]+)\s*/gy)?.map((t) => t.trim()) ?? [];
  if (tokens.join('').replace(/\s/g, '') !== text.replace(/\s/g, '')) throw validation(`the embedded DynamoDB cannot evaluate the condition "${text}"`);
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const take = (want?: string): string => {
    const t = tokens[i++];
    if (t === undefined || (want !== undefined && t !== want)) throw validation(`Invalid ConditionExpression: syntax error near "${t ?? 'end'}" in "${text}"`);
    return t;
  };
  const name = (t: string): string => {
    if (t.startsWith('#')) {
      const n = c.ExpressionAttributeNames?.[t];
      if (n === undefined) throw validation(`An expression attribute name used in the document path is not defined; attribute name: ${t}`);
      return n;
    }
    if (t.startsWith(':')) throw validation(`Invalid ConditionExpression: a value ${t} where an attribute was expected`);
    return t;
  };
  const operand = (t: string): Operand => {
    if (t.startsWith(':')) {
      const v = c.ExpressionAttributeValues?.[t];
      if (v === undefined) throw validation(`An expression attribute value used in expression is not defined; attribute value: ${t}`);
      return { value: v };
    }
    return { attr: name(t) };
  };
  const valueOf = (o: Operand): AttributeValue | undefined => ('value' in o ? o.value : item?.[o.attr]);
  const compare = (a: AttributeValue, b: AttributeValue): number | undefined => {
    if (a.N !== undefined && b.N !== undefined) return Math.sign(Number(a.N) - Number(b.N));
    if (a.S !== undefined && b.S !== undefined) return Buffer.compare(Buffer.from(a.S), Buffer.from(b.S));
    if (a.B !== undefined && b.B !== undefined) return Buffer.compare(Buffer.from(a.B), Buffer.from(b.B));
    return undefined;
  };
  const factor = (): boolean => {
    const t = take();
    if (t === 'NOT') return !factor();
    if (t === '(') {
      const v = expr();
      take(')');
      return v;
    }
    if (t === 'attribute_exists' || t === 'attribute_not_exists') {
      take('(');
      const attr = name(take());
      take(')');
      return (item?.[attr] !== undefined) === (t === 'attribute_exists');
    }
    const left = operand(t);
    const op = take();
    if (!['=', '<>', '<', '<=', '>', '>='].includes(op)) throw validation(`the embedded DynamoDB cannot evaluate "${op}" in "${text}"`);
    const a = valueOf(left);
    const b = valueOf(operand(take()));
    if (a === undefined || b === undefined) return op === '<>' && (a !== undefined || b !== undefined);
    const r = compare(a, b);
    if (r === undefined) return op === '<>';
    return { '=': r === 0, '<>': r !== 0, '<': r < 0, '<=': r <= 0, '>': r > 0, '>=': r >= 0 }[op]!;
  };
  const term = (): boolean => {
    let v = factor();
    while (peek() === 'AND') {
      take();
      v = factor() && v;
    }
    return v;
  };
  const expr = (): boolean => {
    let v = term();
    while (peek() === 'OR') {
      take();
      v = term() || v;
    }
    return v;
  };
  const result = expr();
  if (i !== tokens.length) throw validation(`Invalid ConditionExpression: syntax error near "${tokens[i]}" in "${text}"`);
  return result;
}

type Action =
  | { kind: 'Put'; table: string; item: DdbItem; cond: Condition }
  | { kind: 'Delete'; table: string; key: DdbItem; cond: Condition }
  | { kind: 'ConditionCheck'; table: string; key: DdbItem; cond: Condition };

const MAX_ACTIONS = 100;
const MAX_TRANSACTION_BYTES = 4 * 1024 * 1024;

export class LocalTransactions {
  readonly lock = new WriteLock();
  private readonly ddb: DynamoDBClient;

  /** `ddb` reaches dynalite directly, as the service itself would. */
  constructor(ddb: DynamoDBClient) {
    this.ddb = ddb;
  }

  private async keyNames(table: string): Promise<string[]> {
    try {
      const t = await this.ddb.send(new DescribeTableCommand({ TableName: table }));
      return (t.Table?.KeySchema ?? []).map((k) => k.AttributeName!);
    } catch (err) {
      if ((err as Error).name === 'ResourceNotFoundException') throw new DynamoAnswerError('ResourceNotFoundException', 'Requested resource not found');
      throw err;
    }
  }

  private parse(body: Record<string, unknown>): Action[] {
    const items = body.TransactItems;
    if (!Array.isArray(items) || items.length < 1 || items.length > MAX_ACTIONS) {
      throw validation(
        `1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ACTIONS} and greater than or equal to 1`,
      );
    }
    if (Buffer.byteLength(JSON.stringify(items)) > MAX_TRANSACTION_BYTES) throw validation('Transaction request size exceeds the limit of 4 MB');
    return items.map((raw: Record<string, Record<string, unknown>>) => {
      const kinds = Object.keys(raw);
      if (kinds.length !== 1) throw validation('TransactItems can only contain one of Check, Put, Update or Delete');
      const kind = kinds[0]!;
      const a = raw[kind]!;
      const cond: Condition = {
        ...(typeof a.ConditionExpression === 'string' ? { ConditionExpression: a.ConditionExpression } : {}),
        ...(a.ExpressionAttributeNames ? { ExpressionAttributeNames: a.ExpressionAttributeNames as Record<string, string> } : {}),
        ...(a.ExpressionAttributeValues ? { ExpressionAttributeValues: a.ExpressionAttributeValues as DdbItem } : {}),
      };
      const table = a.TableName;
      if (typeof table !== 'string') throw validation('TableName is required');
      if (kind === 'Put') return { kind, table, item: a.Item as DdbItem, cond };
      if (kind === 'Delete') return { kind, table, key: a.Key as DdbItem, cond };
      if (kind === 'ConditionCheck') {
        if (!cond.ConditionExpression) throw validation('ConditionExpression is required for a ConditionCheck');
        return { kind, table, key: a.Key as DdbItem, cond };
      }
      throw validation(`the embedded DynamoDB does not serve ${kind} in a transaction`);
    });
  }

  /** Runs a TransactWriteItems request: `{}` when it commits; a DynamoAnswerError when it does not. */
  async transactWrite(body: Record<string, unknown>): Promise<Record<string, never>> {
    const actions = this.parse(body);
    const keys = await Promise.all(
      actions.map(async (a) => {
        const names = await this.keyNames(a.table);
        const source = a.kind === 'Put' ? a.item : a.key;
        const key: DdbItem = {};
        for (const n of names) {
          if (source?.[n] === undefined) throw validation('The provided key element does not match the schema');
          key[n] = source[n]!;
        }
        return key;
      }),
    );
    const ids = keys.map((k, i) => `${actions[i]!.table}\u0000${JSON.stringify(k)}`);
    if (new Set(ids).size !== ids.length) throw validation('Transaction request cannot include multiple operations on one item');
    return this.lock.exclusive(async () => {
      const current = await Promise.all(
        actions.map((a, i) => this.ddb.send(new GetItemCommand({ TableName: a.table, Key: keys[i]!, ConsistentRead: true })).then((r) => r.Item)),
      );
      const held = actions.map((a, i) => evaluateCondition(a.cond, current[i]));
      if (held.some((ok) => !ok)) {
        const reasons = held.map((ok) => (ok ? { Code: 'None' } : { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' }));
        throw new DynamoAnswerError(
          'TransactionCanceledException',
          `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
          reasons,
        );
      }
      for (const [i, a] of actions.entries()) {
        if (a.kind === 'Put') await this.ddb.send(new PutItemCommand({ TableName: a.table, Item: a.item }));
        if (a.kind === 'Delete') await this.ddb.send(new DeleteItemCommand({ TableName: a.table, Key: keys[i]! }));
      }
      return {};
    });
  }
}
