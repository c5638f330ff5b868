/** Lambda entry of the import state machine's own tasks: one action per Task. */
import { ValidationError } from '../core/errors.ts';
import type { RangeSpec } from '../core/ranges.ts';
import { systemClock, type Clock } from '../core/seq.ts';
import type { Env } from '../store/clients.ts';
import { lazyStores } from '../store/stores.ts';
import { lambdaEntry, taskKeys, Telemetry, type TaskInput } from '../telemetry.ts';
import { checkImport, failImport, finishImport, mergeImportRange, parseChunk, prepareImport, type ChunkParsed, type ImportChunk, type ImportJob, type RangeMerged } from './importer.ts';

export type ImporterInput = TaskInput & (
  | { action: 'prepare'; importId: string }
  | { action: 'parse'; job: ImportJob; chunk: ImportChunk }
  | { action: 'check'; job: ImportJob; parsed: ChunkParsed[] }
  | { action: 'merge'; job: ImportJob; range: RangeSpec; parsed: ChunkParsed[] }
  | { action: 'finish'; job: ImportJob; parsed: ChunkParsed[]; merged: RangeMerged[] }
  | { action: 'fail'; importId: string; error: { Error?: string; Cause?: string } }
);

export function createImporterHandler(env: () => Env, now: Clock = systemClock) {
  const t = new Telemetry('importer');
  const stores = lazyStores(env, t.traceClient);
  const run = async (input: ImporterInput): Promise<unknown> => {
    const s = stores();
    switch (input.action) {
      case 'prepare':
        return prepareImport(s, input.importId, now());
      case 'parse':
        return parseChunk(s, input.job, input.chunk, now());
      case 'check':
        return checkImport(s, input.job, input.parsed);
      case 'merge':
        return mergeImportRange(s, input.job, input.range, input.parsed);
      case 'finish':
        return finishImport(s, input.job, input.parsed, input.merged);
      case 'fail':
        return failImport(s, input.importId, input.error);
      default:
        throw new ValidationError('InvalidInput', `unknown importer action ${(input as { action: string }).action}`);
    }
  };
  return lambdaEntry(t, env, run, taskKeys);
}

export const handler = createImporterHandler(() => process.env);
