/**
 * List prices the cost report uses, in one place, with their date and region. Change them
 * here (or point the report at another region's) and every figure follows.
 */
export const PRICES = {
  region: 'us-east-1',
  /** When these list prices were read. */
  asOf: '2026-11-01',
  dynamodb: {
    /** On-demand, per million request units. */
    writeRequestUnitUsd: 0.625,
    readRequestUnitUsd: 0.125,
    /** Standard-Infrequent Access: storage is cheaper, requests dearer (25%). */
    iaWriteRequestUnitUsd: 0.78125,
    iaReadRequestUnitUsd: 0.15625,
    /** Per GB-month. */
    storageStandardUsd: 0.25,
    storageIaUsd: 0.1,
    /** Provisioned capacity, per unit-hour (Standard, and Standard-IA). */
    provisionedWcuHourUsd: 0.00065,
    provisionedRcuHourUsd: 0.00013,
    iaProvisionedWcuHourUsd: 0.00081,
    iaProvisionedRcuHourUsd: 0.00016,
    /** Point-in-time recovery (continuous backups), per GB-month of table size. */
    pitrUsd: 0.2,
  },
  s3: {
    /** Standard, per GB-month. */
    storageStandardUsd: 0.023,
    /** Per 1,000 requests. */
    putUsd: 0.005,
    getUsd: 0.0004,
  },
  lambda: {
    /** arm64, per GB-second. */
    gbSecondUsd: 0.0000133334,
    requestUsd: 0.2 / 1_000_000,
  },
  apiGateway: {
    /** HTTP APIs, per million requests: the first 300 million a month, then the rest. */
    firstTierRequests: 300_000_000,
    firstTierUsdPerMillion: 1.0,
    overUsdPerMillion: 0.9,
  },
  cloudwatch: {
    /** Logs: ingestion per GB, storage per GB-month (billed compressed; priced here as written, an upper bound). */
    logsIngestUsdPerGb: 0.5,
    logsStorageUsdPerGb: 0.03,
    /** A custom metric (one name and set of dimensions), per month. */
    metricUsd: 0.3,
  },
  xray: {
    /** Traces recorded, per million. */
    tracesRecordedUsdPerMillion: 5.0,
  },
  stepFunctions: {
    /** Standard workflows, per state transition. */
    transitionUsd: 0.025 / 1000,
  },
} as const;

export type Prices = typeof PRICES;
