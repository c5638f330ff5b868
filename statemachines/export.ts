/** The export state machine (written to export.asl.json by `npm run asl`). */
import { MachineBuilder, type Definition } from './builder.ts';

const COMMENT =
  'Alki sorted export: the store as of a checkpoint, every live record once, in key order, as gzip NDJSON objects written by key range in parallel, read back and added up (count and setsum against the runs) before the export is marked succeeded. The input is {"exportId"}.';

/** How long an export waits for the lifecycle to offload a period its checkpoint names. */
const OFFLOAD_WAIT_SECONDS = 300;

export function exportMachine(): Definition {
  const m = new MachineBuilder(COMMENT, [{ errors: ['States.ALL'], next: 'RecordFailure' }]);
  const job = '$.job';
  const rangeTask = (name: string, action: string) => ({ name, unit: 'exporter' as const, parameters: { action, 'runId.$': '$.runId', 'range.$': '$.range' } });
  m.task('Prepare', { unit: 'exporter', parameters: { action: 'prepare', 'exportId.$': '$.exportId' }, resultPath: '$.job', next: 'Ready' });
  m.choice('Ready', {
    comment: 'A checkpoint naming a hot table not yet offloaded is not read (a table has no key order): wait for the lifecycle.',
    variable: '$.job.ready',
    rule: { BooleanEquals: true },
    then: 'AnyRanges',
    otherwise: 'WaitForOffload',
  });
  m.wait('WaitForOffload', { seconds: OFFLOAD_WAIT_SECONDS, next: 'Prepare' });
  m.choice('AnyRanges', {
    comment: 'An empty key space has one range; a Map runs whenever there is one.',
    variable: '$.job.ranges',
    rule: { NumericGreaterThan: 0 },
    then: 'WriteRanges',
    otherwise: 'Finish',
  });
  m.distributedMap('WriteRanges', {
    comment:
      "Each key range of the checkpoint's runs, merged (newest wins; no tombstone, shadowed or expired version) into sorted gzip NDJSON objects of bounded size.",
    job,
    items: 'ranges',
    itemName: 'range',
    task: rangeTask('Write', 'write'),
    next: 'VerifyRanges',
  });
  m.distributedMap('VerifyRanges', {
    comment: "Each key range's objects read back: lines parse, keys increase and stay in the range; count and setsum recorded.",
    job,
    items: 'ranges',
    itemName: 'range',
    task: rangeTask('VerifyRange', 'verify'),
    next: 'Finish',
  });
  m.task('Finish', { unit: 'exporter', parameters: { action: 'finish', 'exportId.$': '$.exportId' }, resultPath: '$.finish', next: 'Done' });
  m.succeed('Done');
  m.task('RecordFailure', {
    unit: 'exporter',
    parameters: { action: 'fail', 'exportId.$': '$.exportId', 'error.$': '$.error' },
    resultPath: '$.recorded',
    next: 'ExportFailed',
    catch: null,
  });
  m.fail('ExportFailed', { cause: 'the export failed; its record says why (GET /v1/exports/{id})' });
  return m.build('Prepare');
}
