/** Paged DynamoDB reads: one loop over LastEvaluatedKey for every Query and Scan. */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { translate } from './aws-errors.ts';

type Item = Record<string, AttributeValue>;

/**
 * Every item of a Query or Scan, a page at a time: `page(start)` sends one request
 * continuing from `start` (undefined first). `onePage` stops after the first (a sample).
 */
export async function* pagedBatches(
  what: string,
  page: (start: Item | undefined) => Promise<{ Items?: Item[]; LastEvaluatedKey?: Item }>,
  opts: { onePage?: boolean } = {},
): AsyncGenerator<Item[]> {
  let start: Item | undefined;
  do {
    let out;
    try {
      out = await page(start);
    } catch (err) {
      translate(err, what);
    }
    if (out.Items && out.Items.length > 0) yield out.Items;
    start = out.LastEvaluatedKey;
  } while (start && !opts.onePage);
}

/** Every item of a Query or Scan, one by one (see pagedBatches). */
export async function* pagedItems(
  what: string,
  page: (start: Item | undefined) => Promise<{ Items?: Item[]; LastEvaluatedKey?: Item }>,
  opts: { onePage?: boolean } = {},
): AsyncGenerator<Item> {
  for await (const items of pagedBatches(what, page, opts)) yield* items;
}
