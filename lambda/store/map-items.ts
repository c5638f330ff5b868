/**
 * The items of a job's Distributed Maps: for each kind of task, the JSON array `[0, ..., n-1]`
 * of its indices, one object under the job's working prefix, which the Map's ItemReader
 * reads; the Map's ResultWriter writes beside them. The state carries where they are, never
 * the lists; GC deletes them with the job's spills.
 */
import { OBJECTS } from '../core/schema.ts';
import type { ColdBucket } from './cold-bucket.ts';
import { grant, type Grant } from './grants.ts';
import type { MapFiles, MapKind } from '../task-contract.ts';

export const MAP_ITEM_GRANTS = {
  /** write */
  write: [grant('spillObjects', 's3:PutObject')],
} as const satisfies Record<string, readonly Grant[]>;

export class MapItems {
  private readonly bucket: ColdBucket;

  constructor(bucket: ColdBucket) {
    this.bucket = bucket;
  }

  /** Stores the item list of each kind of task (every task `0..n-1`, or the ones listed) and says where they are. */
  async write(jobId: string, tasks: Partial<Record<MapKind, number | readonly number[]>>): Promise<MapFiles> {
    const files: Partial<Record<MapKind, string>> = {};
    await Promise.all(
      Object.entries(tasks).map(async ([kind, n]) => {
        const key = OBJECTS.mapItems(jobId, kind);
        await this.bucket.putObject(key, Buffer.from(JSON.stringify(typeof n === 'number' ? Array.from({ length: n }, (_, i) => i) : n)));
        files[kind as MapKind] = key;
      }),
    );
    return { bucket: this.bucket.name, ...files, results: OBJECTS.mapResults(jobId) };
  }
}
