/**
 * Capacity units as DynamoDB computes them, from the wire form of a request and its answer:
 * an item's size is the UTF-8 length of its attribute names plus their values' sizes; a
 * write costs one unit per KB of the item (rounded up, at least one), twice in a transaction;
 * a read costs one unit per 4 KB, half for an eventually consistent read, twice in a
 * transaction, and a Query or Scan rounds up the total of the items it read, not each one.
 */
export type AttributeValue = { readonly [type: string]: unknown };
export type WireItem = { readonly [name: string]: AttributeValue };

/** A number's size: about one byte per two significant digits, plus one. */
function numberBytes(n: string): number {
  const digits = n.replace(/^[-+]/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

/** The size of one attribute value (DynamoDB's item size rules). */
export function valueBytes(v: AttributeValue): number {
  if (typeof v.S === 'string') return Buffer.byteLength(v.S);
  if (typeof v.N === 'string') return numberBytes(v.N);
  if (typeof v.B === 'string') return Buffer.from(v.B, 'base64').length;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (Array.isArray(v.SS)) return (v.SS as string[]).reduce((s, x) => s + Buffer.byteLength(x), 0);
  if (Array.isArray(v.NS)) return (v.NS as string[]).reduce((s, x) => s + numberBytes(x), 0);
  if (Array.isArray(v.BS)) return (v.BS as string[]).reduce((s, x) => s + Buffer.from(x, 'base64').length, 0);
  // Lists and maps: 3 bytes of overhead, one per element, and the elements.
  if (Array.isArray(v.L)) return 3 + (v.L as AttributeValue[]).reduce((s, x) => s + 1 + valueBytes(x), 0);
  if (v.M && typeof v.M === 'object') return 3 + Object.entries(v.M as WireItem).reduce((s, [k, x]) => s + 1 + Buffer.byteLength(k) + valueBytes(x), 0);
  return 0;
}

export function itemBytes(item: WireItem | undefined): number {
  if (!item) return 0;
  let n = 0;
  for (const [name, v] of Object.entries(item)) n += Buffer.byteLength(name) + valueBytes(v);
  return n;
}

/** Write units of one item of `bytes` (a delete of a missing item still costs one). */
export const writeUnits = (bytes: number, transactional = false): number => Math.max(1, Math.ceil(bytes / 1024)) * (transactional ? 2 : 1);

/** Read units of `bytes` read in one item or one Query/Scan page. */
export function readUnits(bytes: number, consistent: boolean, transactional = false): number {
  const units = Math.max(1, Math.ceil(bytes / 4096));
  return transactional ? units * 2 : consistent ? units : units / 2;
}
