/**
 * A run as the manifest holds it, as a schema: the public API lists runs with it, and the
 * commit task validates the run it receives with it. One definition, beside neither, and held
 * to core/manifest.ts's RunMeta exactly by the type checker.
 */
import * as z from 'zod/mini';
import type { RunMeta } from './core/manifest.ts';

const int = () => z.int();
const described = <T extends z.ZodMiniType>(schema: T, description: string): T => schema.check(z.describe(description)) as T;

export const runMeta = z.strictObject({
  id: z.string(),
  tier: z.enum(['hot', 'cold']),
  level: int(),
  periodStart: described(int(), 'ms since the epoch, the first period covered'),
  periodEnd: described(int(), 'ms since the epoch, the end of the last period covered (exclusive)'),
  minSeq: int(),
  maxSeq: int(),
  minKey: z.optional(described(z.string(), 'encoded key, base64')),
  maxKey: z.optional(described(z.string(), 'encoded key, base64')),
  count: int(),
  bytes: described(int(), 'bytes stored (S3 bytes for a cold run)'),
  setsum: described(z.string(), "hex digest of exactly the run's records"),
  table: z.optional(described(z.string(), "a hot run's DynamoDB table")),
  shards: z.optional(described(int(), "a hot run's table's write shards per pk (absent: one)")),
  blobs: z.optional(int()),
  createdAt: z.string(),
  tombstones: z.optional(described(int(), 'tombstones the run holds')),
  deletedFrom: z.optional(described(int(), 'ms: when the purge clock of its oldest tombstone started')),
  deletedTo: z.optional(described(int(), 'ms: when the purge clock of its newest tombstone started')),
  purgedAt: z.optional(described(int(), 'ms: every delete whose clock started by then has been applied to its records')),
  madeBy: z.optional(described(z.string(), 'the compaction strategy that wrote it (absent: offload, import or the logarithmic merge)')),
});

/** Whether two types are exactly the same (optional fields included), as the type checker compares them. */
type Exactly<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Fails to compile when the schema and RunMeta differ in any field. */
export const RUN_META_MATCHES: Exactly<Readonly<z.infer<typeof runMeta>>, RunMeta> = true;
