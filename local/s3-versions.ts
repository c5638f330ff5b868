/**
 * What a versioned bucket keeps that fauxqs does not: an object overwritten or deleted without
 * a version id stays as a noncurrent version (a delete leaves a delete marker on top), listed by
 * ListObjectVersions and gone only when deleted by its version id. The store's bucket is
 * versioned on AWS (lib/storage.ts), so a purge that deleted only current objects would pass
 * on fauxqs and leave every deleted record's bytes behind on AWS; here it is caught.
 *
 * Current objects stay in fauxqs; noncurrent versions are kept here, in memory, up to a cap
 * (the oldest go first: the local stand-in for the bucket's noncurrent-version expiration rule).
 */
import { randomUUID } from 'node:crypto';

interface Noncurrent {
  readonly versionId: string;
  /** null: a delete marker. */
  readonly body: Buffer | null;
  readonly at: number;
}

/** Reads fauxqs directly: the current object's bytes, and the current objects under a prefix. */
export interface CurrentObjects {
  get(bucket: string, key: string): Promise<Buffer | undefined>;
  list(bucket: string, prefix: string): Promise<{ key: string; size: number }[]>;
}

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export class LocalVersions {
  private readonly current: CurrentObjects;
  private readonly cap: number;
  /** `bucket/key` -> its noncurrent versions and delete markers, oldest first. */
  private readonly older = new Map<string, Noncurrent[]>();
  /** `bucket/key` -> the version id of the current object. */
  private readonly currentIds = new Map<string, string>();
  private held = 0;

  constructor(current: CurrentObjects, capBytes = 64 * 1024 * 1024) {
    this.current = current;
    this.cap = capBytes;
  }

  /** Before a put replaces `key`: the object there, if any, becomes noncurrent; the put gets a new version id. */
  async beforePut(bucket: string, key: string): Promise<void> {
    await this.retire(bucket, key, false);
    this.currentIds.set(`${bucket}/${key}`, randomUUID());
  }

  /** A delete without a version id: the current object becomes noncurrent, under a delete marker. */
  async beforeDelete(bucket: string, key: string): Promise<void> {
    await this.retire(bucket, key, true);
  }

  /**
   * A delete by version id: `current` if it names the current object (the caller deletes it in
   * fauxqs, and the newest noncurrent version does not come back: S3 has no undelete by that),
   * `removed` if a noncurrent version or marker, `none` if no such version.
   */
  deleteVersion(bucket: string, key: string, versionId: string): 'current' | 'removed' | 'none' {
    const id = `${bucket}/${key}`;
    if ((this.currentIds.get(id) ?? 'null') === versionId) {
      this.currentIds.delete(id);
      return 'current';
    }
    const list = this.older.get(id) ?? [];
    const i = list.findIndex((v) => v.versionId === versionId);
    if (i < 0) return 'none';
    this.held -= list[i]!.body?.length ?? 0;
    list.splice(i, 1);
    if (list.length === 0) this.older.delete(id);
    return 'removed';
  }

  /** ListObjectVersions' answer: current objects, noncurrent versions and delete markers under a prefix, in one page. */
  async listXml(bucket: string, prefix: string): Promise<string> {
    const now = new Date().toISOString();
    const entries: { key: string; xml: string }[] = [];
    for (const o of await this.current.list(bucket, prefix)) {
      const v = this.currentIds.get(`${bucket}/${o.key}`) ?? 'null';
      entries.push({
        key: o.key,
        xml: `<Version><Key>${xmlEscape(o.key)}</Key><VersionId>${v}</VersionId><IsLatest>true</IsLatest><LastModified>${now}</LastModified><Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Version>`,
      });
    }
    for (const [id, list] of this.older) {
      if (!id.startsWith(`${bucket}/${prefix}`)) continue;
      const key = id.slice(bucket.length + 1);
      list.forEach((v, i) => {
        const latest = i === list.length - 1 && !this.currentIds.has(id);
        const when = new Date(v.at).toISOString();
        entries.push({
          key,
          xml:
            v.body === null
              ? `<DeleteMarker><Key>${xmlEscape(key)}</Key><VersionId>${v.versionId}</VersionId><IsLatest>${latest}</IsLatest><LastModified>${when}</LastModified></DeleteMarker>`
              : `<Version><Key>${xmlEscape(key)}</Key><VersionId>${v.versionId}</VersionId><IsLatest>false</IsLatest><LastModified>${when}</LastModified><Size>${v.body.length}</Size><StorageClass>STANDARD</StorageClass></Version>`,
        });
      });
    }
    entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return `<?xml version="1.0" encoding="UTF-8"?>\n<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix><MaxKeys>${Math.max(1000, entries.length)}</MaxKeys><IsTruncated>false</IsTruncated>${entries.map((e) => e.xml).join('')}</ListVersionsResult>`;
  }

  /** Every noncurrent version's bytes (tests: what a versioned bucket would still hold). */
  *noncurrent(bucket: string): Generator<{ key: string; versionId: string; body: Buffer }> {
    for (const [id, list] of this.older) {
      if (!id.startsWith(`${bucket}/`)) continue;
      for (const v of list) if (v.body) yield { key: id.slice(bucket.length + 1), versionId: v.versionId, body: v.body };
    }
  }

  private async retire(bucket: string, key: string, marker: boolean): Promise<void> {
    const id = `${bucket}/${key}`;
    // Only a key put through here has a current version to keep: a first put (every blob and spill) costs no read. An
    // object an earlier run of npm start left keeps no noncurrent copy, as no version survives a restart.
    const body = this.currentIds.has(id) ? await this.current.get(bucket, key) : undefined;
    const list = this.older.get(id) ?? [];
    if (body) {
      list.push({ versionId: this.currentIds.get(id) ?? 'null', body, at: Date.now() });
      this.held += body.length;
    }
    this.currentIds.delete(id);
    if (marker && (body || list.length > 0)) list.push({ versionId: randomUUID(), body: null, at: Date.now() });
    if (list.length > 0) this.older.set(id, list);
    this.evict();
  }

  /** Past the cap, the oldest noncurrent versions expire (as the bucket's lifecycle rule would expire them). */
  private evict(): void {
    while (this.held > this.cap) {
      let oldest: { id: string; i: number; at: number } | undefined;
      for (const [id, list] of this.older)
        list.forEach((v, i) => {
          if (v.body && (!oldest || v.at < oldest.at)) oldest = { id, i, at: v.at };
        });
      if (!oldest) return;
      const list = this.older.get(oldest.id)!;
      this.held -= list[oldest.i]!.body!.length;
      list.splice(oldest.i, 1);
      if (list.length === 0) this.older.delete(oldest.id);
    }
  }
}
