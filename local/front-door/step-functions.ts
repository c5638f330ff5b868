/** Step Functions behind the front door: StartExecution and ListExecutions, authorized, served by the local runner. */
import { statesChecks, UnknownOperationError, type Check } from '../iam/requests.ts';
import type { Authorizer, Principal } from './authorizer.ts';
import { jsonAnswer, jsonError, type Call } from './http.ts';

export interface StartedExecution {
  readonly executionArn: string;
  readonly startDate: number;
}

/** What the local runner serves of Step Functions' API. */
export interface LocalExecutions {
  start(stateMachineArn: string, name: string | undefined, input: string): Promise<StartedExecution>;
  list(stateMachineArn: string, status: string | undefined): unknown[];
}

export function stepFunctionsService(
  authorizer: Authorizer,
  executions: LocalExecutions | undefined,
): (call: Call<Principal>, target: string, parsed: Record<string, unknown>) => Promise<void> {
  return async ({ res, principal }, target, parsed) => {
    let checks: Check[];
    try {
      checks = statesChecks(target, parsed);
    } catch (err) {
      if (err instanceof UnknownOperationError) return jsonError(res, 400, 'UnknownOperationException', err.message);
      throw err;
    }
    const refused = authorizer.refusal(principal, checks);
    if (refused) return jsonError(res, 400, 'AccessDeniedException', refused);
    if (!executions) return jsonError(res, 400, 'UnknownOperationException', 'no local state machines');
    try {
      const arn = String(parsed.stateMachineArn);
      const answer = target.endsWith('.ListExecutions')
        ? { executions: executions.list(arn, parsed.statusFilter as string | undefined) }
        : await executions.start(arn, parsed.name as string | undefined, String(parsed.input ?? '{}'));
      jsonAnswer(res, answer);
    } catch (err) {
      const e = err as { name?: string; message?: string };
      jsonError(res, 400, e.name ?? 'InvalidArn', e.message ?? 'failed');
    }
  };
}
