/** A stack holding one AlkiStore, configured from `cdk.json` context (or `-c key=value`). */
import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AlkiStore } from './alki-store.ts';
import type { AlkiStoreProps } from './props.ts';

/** Context keys read from cdk.json or `cdk deploy -c key=value`. */
export const CONTEXT_KEYS = [
  'prefix', 'period', 'sealGrace', 'gcGrace', 'fanout', 'maxLevel', 'retention', 'blockBytes', 'blobBytes',
  'removalPolicy', 'noncurrentVersionDays', 'spillExpirationDays', 'apiRateLimit', 'apiBurstLimit', 'logRetentionDays', 'lifecycleEvery', 'rotateAhead', 'hotCapacity', 'hotShards', 'peakWritesPerSecond', 'accountConcurrency', 'ingestConcurrency', 'readConcurrency', 'backgroundConcurrency', 'compaction', 'purgeWithin',
] as const;

const NUMERIC = new Set(['fanout', 'maxLevel', 'blockBytes', 'blobBytes', 'noncurrentVersionDays', 'spillExpirationDays', 'apiRateLimit', 'apiBurstLimit', 'logRetentionDays', 'rotateAhead', 'hotShards', 'peakWritesPerSecond', 'accountConcurrency', 'ingestConcurrency', 'readConcurrency', 'backgroundConcurrency']);

export function propsFromContext(get: (key: string) => unknown): AlkiStoreProps {
  const out: Record<string, unknown> = {};
  for (const key of CONTEXT_KEYS) {
    const v = get(`alki:${key}`);
    if (v === undefined || v === null || v === '') continue;
    if (key === 'removalPolicy') {
      if (v !== 'retain' && v !== 'destroy') throw new Error(`alki:removalPolicy must be "retain" or "destroy", not "${String(v)}"`);
      out[key] = v === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    } else if (NUMERIC.has(key)) {
      const n = Number(v);
      if (!Number.isFinite(n)) throw new Error(`alki:${key} must be a number, not "${String(v)}"`);
      out[key] = n;
    } else {
      out[key] = String(v);
    }
  }
  return out as AlkiStoreProps;
}

export class AlkiStack extends Stack {
  readonly store: AlkiStore;

  constructor(scope: Construct, id: string, props: StackProps & { store?: AlkiStoreProps } = {}) {
    super(scope, id, props);
    this.store = new AlkiStore(this, 'Store', props.store ?? propsFromContext((k) => this.node.tryGetContext(k)));
  }
}
