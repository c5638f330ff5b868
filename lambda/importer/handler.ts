/** Lambda entry of the import state machine's own tasks: one action per Task. */
import { systemClock, type Clock } from '../core/seq.ts';
import type { Env } from '../store/clients.ts';
import { lazyStores } from '../store/stores.ts';
import { IMPORTER_INPUT, parseTaskInput } from '../task-contract.ts';
import { lambdaEntry, taskKeys, Telemetry } from '../telemetry.ts';
import { checkImport, failImport, finishImport, mergeImportRange, parseChunk, prepareImport } from './importer.ts';

export function createImporterHandler(env: () => Env, now: Clock = systemClock) {
  const t = new Telemetry('importer');
  const stores = lazyStores(env, t.traceClient);
  const handle = async (event: unknown): Promise<unknown> => {
    const input = parseTaskInput('importer', IMPORTER_INPUT, event);
    const s = stores();
    switch (input.action) {
      case 'prepare':
        return prepareImport(s, input.importId, now());
      case 'parse':
        return parseChunk(s, input.runId, input.chunk, now());
      case 'check':
        return checkImport(s, input.runId);
      case 'merge':
        return mergeImportRange(s, input.runId, input.range);
      case 'finish':
        return finishImport(s, input.runId);
      case 'fail':
        return failImport(s, input.importId, input.error);
    }
  };
  return lambdaEntry(t, env, handle, taskKeys);
}

export const handler = createImporterHandler(() => process.env);
