/** A stack holding one AlkiStore, configured from `cdk.json` context (or `-c key=value`). */
import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { AlkiStore } from './alki-store.ts';
import type { AlkiStoreProps } from './props.ts';

/** Context keys read from cdk.json or `cdk deploy -c key=value`. */
export const CONTEXT_KEYS = [
  'prefix',
  'period',
  'sealGrace',
  'gcGrace',
  'fanout',
  'maxLevel',
  'retention',
  'blockBytes',
  'blobBytes',
  'removalPolicy',
  'noncurrentVersionDays',
  'spillExpirationDays',
  'apiRateLimit',
  'apiBurstLimit',
  'logRetentionDays',
  'lifecycleEvery',
  'rotateAhead',
  'hotCapacity',
  'hotShards',
  'peakWritesPerSecond',
  'accountConcurrency',
  'ingestConcurrency',
  'readConcurrency',
  'backgroundConcurrency',
  'compaction',
  'purgeWithin',
  'dataPlaneTracing',
  'apiAccessLogs',
] as const;

const BOOLEAN = new Set(['dataPlaneTracing', 'apiAccessLogs']);
const NUMERIC = new Set([
  'fanout',
  'maxLevel',
  'blockBytes',
  'blobBytes',
  'noncurrentVersionDays',
  'spillExpirationDays',
  'apiRateLimit',
  'apiBurstLimit',
  'logRetentionDays',
  'rotateAhead',
  'hotShards',
  'peakWritesPerSecond',
  'accountConcurrency',
  'ingestConcurrency',
  'readConcurrency',
  'backgroundConcurrency',
]);

export function propsFromContext(get: (key: string) => unknown): AlkiStoreProps {
  const out: Record<string, unknown> = {};
  for (const key of CONTEXT_KEYS) {
    const v = get(`alki:${key}`);
    if (v === undefined || v === null || v === '') continue;
    if (key === 'removalPolicy') {
      if (v !== 'retain' && v !== 'destroy') throw new Error(`alki:removalPolicy must be "retain" or "destroy", not "${String(v)}"`);
      out[key] = v === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    } else if (BOOLEAN.has(key)) {
      if (v !== true && v !== false && v !== 'true' && v !== 'false') throw new Error(`alki:${key} must be true or false, not "${String(v)}"`);
      out[key] = v === true || v === 'true';
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

/**
 * Context the embedded system synthesizes with (never cdk.json): an application's role,
 * granted by the store's grant methods, which direct-mode tests call as, so that the front
 * door refuses what those grants leave out.
 */
export const APPLICATION_ROLE_CONTEXT = 'alki:applicationRole';
export const APPLICATION_ROLE_ID = 'ApplicationRole';

export class AlkiStack extends Stack {
  readonly store: AlkiStore;

  constructor(scope: Construct, id: string, props: StackProps & { store?: AlkiStoreProps } = {}) {
    super(scope, id, props);
    this.store = new AlkiStore(this, 'Store', props.store ?? propsFromContext((k) => this.node.tryGetContext(k)));
    if (this.node.tryGetContext(APPLICATION_ROLE_CONTEXT) === true) {
      const app = new Role(this, APPLICATION_ROLE_ID, {
        assumedBy: new AccountRootPrincipal(),
        description: 'An application of the embedded system: direct mode and the API, as the grant methods allow',
      });
      this.store.grantDirectReadWrite(app);
      this.store.grantReadWrite(app);
    }
  }
}
