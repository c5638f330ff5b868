/**
 * The deployable units: one Lambda function each, at `lambda/<unit>/handler.ts`, exporting
 * `handler`. The CDK app builds one NodejsFunction per unit from this list; state machine
 * placeholders name them as `${<Name>FunctionArn}`.
 */
/** Lambda gives a function one whole vCPU at this memory, and CPU in proportion below it. */
export const ONE_VCPU_MB = 1769;

export const UNITS = {
  ingest: { name: 'Ingest', memoryMb: 512, timeoutSeconds: 29, description: 'HTTP API: puts, deletes, batch writes' },
  read: { name: 'Read', memoryMb: 1024, timeoutSeconds: 29, description: 'HTTP API: gets, range queries, batch gets, runs; unmatched routes' },
  rotate: {
    name: 'Rotate',
    memoryMb: 256,
    timeoutSeconds: 300,
    description: "Lifecycle and its own schedule: create and register the next periods' hot tables, set their capacity; single flight",
  },
  offload: {
    name: 'Offload',
    memoryMb: ONE_VCPU_MB,
    timeoutSeconds: 900,
    description: 'Lifecycle: plan, sample, scan a segment into spills, merge a key range into a run',
  },
  verify: {
    name: 'Verify',
    memoryMb: ONE_VCPU_MB,
    timeoutSeconds: 900,
    description: 'Lifecycle: read a new run back and prove it (order, index, count, setsum)',
  },
  rescan: {
    name: 'Rescan',
    // I/O-bound: it waits on DynamoDB at its segment's pace and holds one page; 512 MB's share of a vCPU keeps up with that pace many times over.
    memoryMb: 512,
    timeoutSeconds: 900,
    description: "Lifecycle: scan one segment of an offloaded table again, independently of the offload's scan, and record its count and setsum",
  },
  compact: { name: 'Compact', memoryMb: ONE_VCPU_MB, timeoutSeconds: 900, description: 'Lifecycle: plan a compaction, merge one key range' },
  commit: { name: 'Commit', memoryMb: 256, timeoutSeconds: 60, description: 'Lifecycle: one manifest compare-and-swap' },
  // Its logical id and name stay release 0.1.0's ("Imports"): renaming them would replace the function.
  transfers: {
    name: 'Imports',
    memoryMb: 512,
    timeoutSeconds: 29,
    description: 'HTTP API: create an import (upload URLs), commit it, report on it; start an export, report on it (download URLs)',
  },
  importer: {
    name: 'Importer',
    memoryMb: ONE_VCPU_MB,
    timeoutSeconds: 900,
    description: 'Import: plan, parse a chunk into spills, check, merge a key range, record the outcome',
  },
  exporter: {
    name: 'Exporter',
    memoryMb: ONE_VCPU_MB,
    timeoutSeconds: 900,
    description: 'Export: plan key ranges over a checkpoint, write a range as sorted gzip NDJSON, read it back, add up',
  },
  gc: { name: 'Gc', memoryMb: 512, timeoutSeconds: 900, description: 'Lifecycle: delete released tables, runs and spills after gcGrace; retention' },
} as const;

export type UnitName = keyof typeof UNITS;

export const handlerEntry = (unit: UnitName): string => `lambda/${unit}/handler.ts`;
export const arnPlaceholder = (unit: UnitName): string => `${UNITS[unit].name}FunctionArn`;
/** The unit whose function an ASL placeholder names. */
export const unitOfPlaceholder = (placeholder: string): UnitName | undefined =>
  (Object.keys(UNITS) as UnitName[]).find((u) => arnPlaceholder(u) === placeholder);
/** Powertools' service name of a unit: its logs' `service` field, its metrics' and traces' `service`. */
export const serviceName = (unit: UnitName): string => `alki-${unit}`;
