/**
 * The export API's operations: start an export (of a checkpoint, taking one if none is
 * given) and report on it, with presigned download URLs once it has succeeded.
 */
import { randomBytes } from 'node:crypto';
import { CHECKPOINT_TTL, checkpointTtl } from '../core/checkpoint.ts';
import { NotFoundError, ValidationError } from '../core/errors.ts';
import { EXPORT_ID, exportPage, type ExportStatus } from '../core/export-format.ts';
import { compareKeys, encodeKey, partitionPrefix } from '../core/keys.ts';
import { maxCheckpointTtlMs, type StoreSettings } from '../core/settings.ts';
import type { BodyOf } from '../api/schemas.ts';
import type { CheckpointStore } from '../store/checkpoint-store.ts';
import type { ExecutionStarter } from '../store/executions.ts';
import type { ExportDownloads } from '../store/export-downloads.ts';
import type { ExportObjects, ExportStore } from '../store/exports.ts';
import type { ManifestStore } from '../store/manifest-store.ts';

export interface ExportsDeps {
  readonly settings: StoreSettings;
  readonly exports: ExportStore;
  readonly exportObjects: ExportObjects;
  readonly downloads: ExportDownloads;
  readonly checkpoints: CheckpointStore;
  readonly manifests: ManifestStore;
  readonly starter: ExecutionStarter;
  readonly now: () => number;
}

type Bound = { readonly pk: string; readonly sk?: string | undefined };

/** A key bound: a partition's first key, or a key. */
const keyOf = (b: Bound): Buffer => (b.sk === undefined ? partitionPrefix(b.pk) : encodeKey(b.pk, b.sk));

export async function createExport(d: ExportsDeps, req: BodyOf<'createExport'>): Promise<{ id: string; checkpoint: string }> {
  const from = req.from ? keyOf(req.from) : undefined;
  const to = req.to ? keyOf(req.to) : undefined;
  if (from && to && compareKeys(from, to) >= 0) throw new ValidationError('InvalidExport', 'from must come before to');
  const now = Math.floor(d.now());
  // Without one, the export takes its own (a day; the export extends it while it runs).
  const checkpoint =
    req.checkpoint === undefined
      ? (await d.checkpoints.take(d.manifests, d.settings, now, checkpointTtl(undefined, maxCheckpointTtlMs(d.settings, CHECKPOINT_TTL.maxMs)))).id
      : (await d.checkpoints.live(req.checkpoint, now)).id;
  const at = new Date(now).toISOString();
  const status: ExportStatus = {
    id: `x-${randomBytes(10).toString('hex')}`,
    state: 'running',
    format: 'ndjson',
    checkpoint,
    ...(from ? { from: from.toString('base64') } : {}),
    ...(to ? { to: to.toString('base64') } : {}),
    createdAt: at,
    updatedAt: at,
  };
  await d.exports.put(status);
  await d.starter.start(status.id, { exportId: status.id });
  return { id: status.id, checkpoint };
}

export interface ExportReport {
  readonly id: string;
  readonly state: ExportStatus['state'];
  readonly checkpoint: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly records: number;
  readonly bytes: number;
  readonly objects: { key: string; url: string; records: number; bytes: number; firstKey: { pk: string; sk: string }; lastKey: { pk: string; sk: string } }[];
  /** The next page of objects, while there are more. */
  readonly cursor?: string;
  readonly cause?: string;
}

const apiKey = (b64: string): { pk: string; sk: string } => {
  const k = Buffer.from(b64, 'base64');
  const sep = k.indexOf(0);
  return { pk: k.subarray(0, sep).toString('utf8'), sk: k.subarray(sep + 1).toString('utf8') };
};

/** An export's status, and (once it succeeded) a page of its objects in key order with download URLs. */
export async function getExport(d: ExportsDeps, id: string, paging: { limit?: string; cursor?: string } = {}): Promise<ExportReport> {
  if (!EXPORT_ID.test(id)) throw new ValidationError('InvalidExportId', 'not an export id');
  const s = await d.exports.get(id);
  if (!s) throw new NotFoundError('NotFound', `no export ${id}`);
  const { page, next } = exportPage(s.state === 'succeeded' ? await d.exportObjects.manifest(id) : [], paging.limit, paging.cursor);
  const objects = await Promise.all(
    page.map(async (o) => ({
      key: o.key,
      url: await d.downloads.url(o.key),
      records: o.records,
      bytes: o.bytes,
      firstKey: apiKey(o.firstKey),
      lastKey: apiKey(o.lastKey),
    })),
  );
  return {
    id: s.id,
    state: s.state,
    checkpoint: s.checkpoint,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    records: s.records ?? 0,
    bytes: s.bytes ?? 0,
    objects,
    ...(next ? { cursor: next } : {}),
    ...(s.cause ? { cause: s.cause } : {}),
  };
}
