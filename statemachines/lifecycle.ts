/** The lifecycle state machine (written to lifecycle.asl.json by `npm run asl`). */
import { MachineBuilder, VERIFY_RETRY, type Definition } from './builder.ts';

const COMMENT =
  "Alki lifecycle, started on a schedule, one execution at a time: rotate the hot tables (rotation also runs on its own schedule); offload every sealed period, one at a time, oldest first (sample, scan segments into spills, merge key ranges into a run, verify, commit; a period larger than half an execution goes on in the next); compact while the policy asks (merge key ranges, verify, commit); delete what commits released after gcGrace; apply retention. Every step is idempotent; a failure leaves the manifest unchanged. Tasks that grow with the data run as Distributed Maps: their items are a job's lists in S3, their results go to S3, the state carries references.";

export function lifecycleMachine(): Definition {
  const m = new MachineBuilder(COMMENT, [
    { errors: ['VerificationFailed'], next: 'VerificationFailed' },
    { errors: ['States.ALL'], next: 'LifecycleFailed' },
  ]);
  m.task('Rotate', {
    unit: 'rotate',
    parameters: {
      'trigger.$': '$$.Execution.Name',
      execution: { 'stateMachineArn.$': '$$.StateMachine.Id', 'executionArn.$': '$$.Execution.Id', 'startTime.$': '$$.Execution.StartTime' },
    },
    resultPath: '$.rotate',
    resultSelector: { 'periods.$': '$.periods', 'offloadLagPeriods.$': '$.offloadLagPeriods', 'otherExecution.$': '$.otherExecution' },
    next: 'SingleFlight',
  });
  m.choice('SingleFlight', {
    comment: 'One execution at a time does the work: one that finds an earlier execution running ends here, successfully.',
    variable: '$.rotate.otherExecution',
    rule: { IsString: true },
    then: 'AnotherExecutionRunning',
    otherwise: 'PlanOffload',
  });
  m.pass('AnotherExecutionRunning', {
    comment: 'Another execution of this state machine is running and does the work.',
    parameters: { skipped: 'another execution of this state machine is running; it does the work', 'running.$': '$.rotate.otherExecution' },
  });

  // Offload: every sealed period, oldest first.
  m.task('PlanOffload', {
    unit: 'offload',
    comment:
      "The oldest sealed period still hot, if any: periods are offloaded one at a time, oldest first, so a run is never committed before an older period's.",
    parameters: { action: 'plan' },
    resultPath: '$.offload',
    next: 'ShouldOffload',
  });
  m.choice('ShouldOffload', { variable: '$.offload.found', rule: { BooleanEquals: true }, then: 'Prepare', otherwise: 'PlanCompaction' });
  m.task('Prepare', {
    unit: 'offload',
    comment:
      "Plans the job (once: a later execution reuses the plan) and takes this execution's slice of the tasks still to do: an offload larger than half an execution goes on in the next.",
    parameters: { action: 'prepare', 'period.$': '$.offload.period' },
    resultPath: '$.job',
    next: 'AnyScans',
  });
  const job = '$.job';
  // A Map runs only when the slice has tasks for it: a Choice before each skips to what follows.
  const whenAny = (name: string, phase: string, map: string, otherwise: string) =>
    m.choice(name, { variable: `$.job.slice.${phase}`, rule: { NumericGreaterThan: 0 }, then: map, otherwise });
  const segmentTask = (name: string, unit: 'offload' | 'rescan', action: string) => ({
    name,
    unit,
    parameters: { action, 'runId.$': '$.runId', 'segment.$': '$.segment' },
  });
  const rangeTask = (name: string, unit: 'offload' | 'verify' | 'compact', action: string) => ({
    name,
    unit,
    parameters: { action, 'runId.$': '$.runId', 'range.$': '$.range' },
  });
  whenAny('AnyScans', 'scan', 'ScanSegments', 'AnyMerges');
  m.distributedMap('ScanSegments', { job, items: 'scan', itemName: 'segment', task: segmentTask('Scan', 'offload', 'scan'), next: 'AnyMerges' });
  whenAny('AnyMerges', 'merge', 'MergeRanges', 'AnyRangesToVerify');
  m.distributedMap('MergeRanges', { job, items: 'merge', itemName: 'range', task: rangeTask('Merge', 'offload', 'merge'), next: 'AnyRangesToVerify' });
  whenAny('AnyRangesToVerify', 'verify', 'VerifyRanges', 'AnyRescans');
  m.distributedMap('VerifyRanges', {
    comment:
      'Each key range of the new run read back (keys in order and in range, blobs against footers, index items against blobs) and recorded under the job.',
    job,
    items: 'verify',
    itemName: 'range',
    task: { ...rangeTask('VerifyRange', 'verify', 'range'), retry: VERIFY_RETRY },
    next: 'AnyRescans',
  });
  whenAny('AnyRescans', 'rescan', 'Rescan', 'OffloadComplete');
  m.distributedMap('Rescan', {
    comment: "The sealed table scanned again, segment by segment, independently of the offload's scan.",
    job,
    items: 'rescan',
    itemName: 'segment',
    task: { ...segmentTask('RescanSegment', 'rescan', 'rescan'), retry: VERIFY_RETRY },
    next: 'OffloadComplete',
  });
  m.choice('OffloadComplete', {
    comment:
      "An offload larger than an execution's slice goes on in the next execution (its tasks' records say what is done); meanwhile this one compacts. The last slice adds the run up and commits it.",
    variable: '$.job.complete',
    rule: { BooleanEquals: true },
    then: 'Verify',
    otherwise: 'PlanCompaction',
  });
  m.task('Verify', {
    unit: 'verify',
    comment: "Adds the ranges up: count and setsum against the scans' and the re-scan's; returns the run's manifest entry.",
    parameters: { mode: 'offload', 'runId.$': '$.job.runId' },
    resultPath: '$.verified',
    retry: VERIFY_RETRY,
    next: 'Commit',
  });
  m.task('Commit', {
    unit: 'commit',
    comment: 'Makes the run visible; then the next sealed period, if any.',
    parameters: { kind: 'offload', 'runId.$': '$.job.runId', 'run.$': '$.verified.run' },
    resultSelector: { 'version.$': '$.version', 'changed.$': '$.changed' },
    resultPath: '$.committed',
    next: 'PlanOffload',
  });

  // Compaction: while the policy finds work, a slice of key ranges an execution.
  m.task('PlanCompaction', { unit: 'compact', parameters: { action: 'plan' }, resultPath: '$.compaction', next: 'ShouldCompact' });
  m.choice('ShouldCompact', { variable: '$.compaction.found', rule: { BooleanEquals: true }, then: 'AnyRangesToDo', otherwise: 'CollectGarbage' });
  m.choice('AnyRangesToDo', {
    comment:
      'An execution that stopped after its last slice but before adding the run up finds nothing left to merge: it adds up at once, without a Map over no items.',
    variable: '$.compaction.job.ranges',
    rule: { NumericGreaterThan: 0 },
    then: 'CompactRanges',
    otherwise: 'VerifyCompaction',
  });
  const compaction = '$.compaction.job';
  m.distributedMap('CompactRanges', {
    job: compaction,
    items: 'ranges',
    itemName: 'range',
    task: rangeTask('MergeRange', 'compact', 'merge'),
    next: 'VerifyCompactionRanges',
  });
  m.distributedMap('VerifyCompactionRanges', {
    comment: 'Each key range of the compacted run read back and recorded under the job.',
    job: compaction,
    items: 'ranges',
    itemName: 'range',
    task: { ...rangeTask('VerifyCompactionRange', 'verify', 'range'), retry: VERIFY_RETRY },
    next: 'CompactionComplete',
  });
  m.choice('CompactionComplete', {
    comment:
      "A compaction larger than an execution's slice goes on in the next execution, from the ranges not yet verified; the last slice adds the run up and commits it.",
    variable: '$.compaction.complete',
    rule: { BooleanEquals: true },
    then: 'VerifyCompaction',
    otherwise: 'CollectGarbage',
  });
  m.task('VerifyCompaction', {
    unit: 'verify',
    parameters: { mode: 'compact', 'runId.$': '$.compaction.job.runId' },
    resultPath: '$.verifiedCompaction',
    retry: VERIFY_RETRY,
    next: 'CommitCompaction',
  });
  m.task('CommitCompaction', {
    unit: 'commit',
    parameters: { kind: 'compact', 'runId.$': '$.compaction.job.runId', 'run.$': '$.verifiedCompaction.run' },
    resultPath: '$.committedCompaction',
    next: 'PlanCompaction',
  });

  m.task('CollectGarbage', { unit: 'gc', parameters: { action: 'collect' }, resultPath: '$.gc', next: 'ApplyRetention' });
  m.task('ApplyRetention', { unit: 'gc', parameters: { action: 'retention' }, resultPath: '$.retention', next: 'Done' });
  m.fail('VerificationFailed', {
    comment: "A new run failed verification: nothing was committed. The cause is the Verify task's error, saying what differed.",
  });
  m.fail('LifecycleFailed', { comment: "A step failed after its retries; the failed step changed no manifest. The cause is that step's error." });
  m.succeed('Done');
  return m.build('Rotate');
}
