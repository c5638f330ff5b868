/**
 * DynamoDB's size of an item, as it bills requests and storage: attribute names plus values
 * (strings and binaries by their bytes, numbers about one byte per two digits, lists and
 * maps 3 bytes plus their elements). Storage adds 100 bytes per item for its index.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

export const STORAGE_OVERHEAD_BYTES = 100;

function numberBytes(n: string): number {
  const digits = n.replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.max(1, Math.ceil(digits.length / 2)) + 1;
}

export function valueBytes(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S);
  if (v.B !== undefined) return v.B.length;
  if (v.N !== undefined) return numberBytes(v.N);
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.SS) return v.SS.reduce((s, x) => s + Buffer.byteLength(x), 0);
  if (v.NS) return v.NS.reduce((s, x) => s + numberBytes(x), 0);
  if (v.BS) return v.BS.reduce((s, x) => s + x.length, 0);
  if (v.L) return 3 + v.L.reduce((s, x) => s + 1 + valueBytes(x), 0);
  if (v.M) return 3 + itemBytes(v.M) + Object.keys(v.M).length;
  return 0;
}

export function itemBytes(item: Readonly<Record<string, AttributeValue>>): number {
  return Object.entries(item).reduce((s, [name, v]) => s + Buffer.byteLength(name) + valueBytes(v), 0);
}

/** Write request units of putting an item (on demand: one per KB, rounded up). */
export const writeUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / 1024));
/** Read request units of reading `bytes` (one per 4 KB, rounded up; half for eventually consistent reads). */
export const readUnits = (bytes: number, consistent: boolean): number => Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);
