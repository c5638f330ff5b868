/**
 * Capacity units as DynamoDB computes them, from the wire form of a request and its answer:
 * the product's own rule (lambda/store/item-size.ts), which reads binaries in either form. A
 * Query or Scan rounds up the total of the items it read, not each one (local/throughput.ts).
 */
export { itemBytes, readUnits, valueBytes, writeUnits, type AnyAttributeValue as AttributeValue, type AnyItem as WireItem } from '../lambda/store/item-size.ts';
