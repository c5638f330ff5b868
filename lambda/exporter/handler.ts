/** Lambda entry of the export state machine's tasks: one action per Task. */
import { systemClock, type Clock } from '../core/seq.ts';
import type { Env } from '../store/clients.ts';
import { lazyStores } from '../store/stores.ts';
import { EXPORTER_INPUT, parseTaskInput } from '../task-contract.ts';
import { lambdaEntry, taskKeys, Telemetry } from '../telemetry.ts';
import { failExport, finishExport, prepareExport, verifyExportRange, writeExportRange } from './exporter.ts';

export function createExporterHandler(env: () => Env, now: Clock = systemClock) {
  const t = new Telemetry('exporter');
  const stores = lazyStores(env, t.traceClient);
  const handle = async (event: unknown): Promise<unknown> => {
    const input = parseTaskInput('exporter', EXPORTER_INPUT, event);
    const s = stores();
    switch (input.action) {
      case 'prepare':
        return prepareExport(s, input.exportId, now());
      case 'write':
        return writeExportRange(s, input.runId, input.range);
      case 'verify':
        return verifyExportRange(s, input.runId, input.range);
      case 'finish':
        return finishExport(s, input.exportId, now());
      case 'fail':
        return failExport(s, input.exportId, input.error, now());
    }
  };
  return lambdaEntry(t, env, handle, taskKeys);
}

export const handler = createExporterHandler(() => process.env);
