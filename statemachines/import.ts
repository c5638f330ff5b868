/** The import state machine (written to import.asl.json by `npm run asl`). */
import { MachineBuilder, VERIFY_RETRY, type Definition } from './builder.ts';

const COMMENT =
  'Alki bulk import: parse and validate every line of the uploaded NDJSON files, sort with bounded memory (spills per key range), write one cold run, verify it against the parsed lines\' count and setsum, commit it. The input is {"importId"}.';

export function importMachine(): Definition {
  const m = new MachineBuilder(COMMENT, [{ errors: ['States.ALL'], next: 'RecordFailure' }]);
  const job = '$.job';
  const rangeTask = (name: string, unit: 'importer' | 'verify', action: string) => ({
    name,
    unit,
    parameters: { action, 'runId.$': '$.runId', 'range.$': '$.range' },
  });
  m.task('Prepare', { unit: 'importer', parameters: { action: 'prepare', 'importId.$': '$.importId' }, resultPath: '$.job', next: 'AnyChunks' });
  m.choice('AnyChunks', {
    comment: 'Files holding no bytes make no chunks: nothing to parse.',
    variable: '$.job.chunks',
    rule: { NumericGreaterThan: 0 },
    then: 'ParseChunks',
    otherwise: 'Check',
  });
  m.distributedMap('ParseChunks', {
    comment: 'Each chunk of the input files: lines validated, valid records spilled sorted per key range.',
    job,
    items: 'chunks',
    itemName: 'chunk',
    task: { name: 'Parse', unit: 'importer', parameters: { action: 'parse', 'runId.$': '$.runId', 'chunk.$': '$.chunk' } },
    next: 'Check',
  });
  m.task('Check', { unit: 'importer', parameters: { action: 'check', 'runId.$': '$.job.runId' }, resultPath: '$.check', next: 'AnyInvalid' });
  m.choice('AnyInvalid', { variable: '$.check.proceed', rule: { BooleanEquals: false }, then: 'InvalidLines', otherwise: 'MergeRanges' });
  m.distributedMap('MergeRanges', {
    comment: "Each key range: the chunks' spills merged into blobs and index items of the run; older versions of a key are dropped and counted.",
    job,
    items: 'ranges',
    itemName: 'range',
    task: rangeTask('Merge', 'importer', 'merge'),
    next: 'VerifyRanges',
  });
  m.distributedMap('VerifyRanges', {
    comment: 'Each key range of the new run read back and recorded under the job.',
    job,
    items: 'ranges',
    itemName: 'range',
    task: { ...rangeTask('VerifyRange', 'verify', 'range'), retry: VERIFY_RETRY },
    next: 'Verify',
  });
  m.task('Verify', { unit: 'verify', parameters: { mode: 'import', 'runId.$': '$.job.runId' }, resultPath: '$.verified', retry: VERIFY_RETRY, next: 'Commit' });
  m.task('Commit', {
    unit: 'commit',
    parameters: { kind: 'import', 'runId.$': '$.job.runId', 'run.$': '$.verified.run' },
    resultPath: '$.commit',
    next: 'Finish',
  });
  m.task('Finish', { unit: 'importer', parameters: { action: 'finish', 'runId.$': '$.job.runId' }, resultPath: '$.finish', next: 'Done' });
  m.succeed('Done');
  m.task('RecordFailure', {
    unit: 'importer',
    parameters: { action: 'fail', 'importId.$': '$.importId', 'error.$': '$.error' },
    resultPath: '$.recorded',
    next: 'ImportFailed',
    catch: null,
  });
  m.fail('ImportFailed', {
    comment:
      'A step failed after its retries, or verification failed: nothing was committed. GET /v1/imports/{id} says why; committing it again starts a new attempt.',
  });
  m.fail('InvalidLines', { cause: 'Some lines are invalid and onInvalid is "fail": nothing was imported. GET /v1/imports/{id} lists them.' });
  return m.build('Prepare');
}
