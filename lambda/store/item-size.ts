/**
 * DynamoDB's size of an item, as it bills requests and storage: attribute names plus values
 * (strings and binaries by their bytes, numbers about one byte per two significant digits
 * plus one, lists and maps 3 bytes plus one per element plus their elements). Storage adds
 * 100 bytes per item for its index. One rule for the SDK's items (binaries as bytes) and for
 * the wire's (binaries as base64): the writers, the cost report and the embedded system's
 * throughput all count with it.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** An attribute value in either form: the SDK's (`B` a Uint8Array) or the wire's JSON (`B` base64). */
export type AnyAttributeValue = AttributeValue | { readonly [type: string]: unknown };
export type AnyItem = { readonly [name: string]: AnyAttributeValue };

export const STORAGE_OVERHEAD_BYTES = 100;

function numberBytes(n: string): number {
  const digits = n.replace(/^[-+]/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

const binaryBytes = (b: unknown): number => (typeof b === 'string' ? Buffer.from(b, 'base64').length : (b as Uint8Array).length);

export function valueBytes(value: AnyAttributeValue): number {
  const v = value as { readonly [type: string]: unknown };
  if (typeof v.S === 'string') return Buffer.byteLength(v.S);
  if (typeof v.N === 'string') return numberBytes(v.N);
  if (v.B !== undefined) return binaryBytes(v.B);
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (Array.isArray(v.SS)) return (v.SS as string[]).reduce((s, x) => s + Buffer.byteLength(x), 0);
  if (Array.isArray(v.NS)) return (v.NS as string[]).reduce((s, x) => s + numberBytes(x), 0);
  if (Array.isArray(v.BS)) return (v.BS as unknown[]).reduce<number>((s, x) => s + binaryBytes(x), 0);
  if (Array.isArray(v.L)) return 3 + (v.L as AnyAttributeValue[]).reduce((s, x) => s + 1 + valueBytes(x), 0);
  if (v.M && typeof v.M === 'object') return 3 + Object.entries(v.M as AnyItem).reduce((s, [k, x]) => s + 1 + Buffer.byteLength(k) + valueBytes(x), 0);
  return 0;
}

export function itemBytes(item: AnyItem | undefined): number {
  if (!item) return 0;
  let n = 0;
  for (const [name, v] of Object.entries(item)) n += Buffer.byteLength(name) + valueBytes(v);
  return n;
}

/** Write request units of writing an item of `bytes` (one per KB, rounded up, at least one: a delete of a missing item costs one); twice in a transaction. */
export const writeUnits = (bytes: number, transactional = false): number => Math.max(1, Math.ceil(bytes / 1024)) * (transactional ? 2 : 1);

/** Read request units of reading `bytes` in one item or one Query/Scan page (one per 4 KB, rounded up; half eventually consistent, twice in a transaction). */
export function readUnits(bytes: number, consistent: boolean, transactional = false): number {
  const units = Math.max(1, Math.ceil(bytes / 4096));
  return transactional ? units * 2 : consistent ? units : units / 2;
}
