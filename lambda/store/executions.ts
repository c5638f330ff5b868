/**
 * Step Functions from a function: starting an execution (StartExecution on the ARN the CDK
 * app passes in the environment; names make a start idempotent), and listing a machine's
 * running executions (single flight). Locally the same calls reach the embedded runner.
 */
import { paginateListExecutions, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { clientConfig, RESOURCE_ENV, untraced, type ClientHook, type Env } from './clients.ts';
import { errorName, translate } from './aws-errors.ts';
import { grant, type Grant } from './grants.ts';

export const IMPORT_START_GRANTS = [grant('importStateMachine', 'states:StartExecution')] as const satisfies readonly Grant[];
export const EXPORT_START_GRANTS = [grant('exportStateMachine', 'states:StartExecution')] as const satisfies readonly Grant[];
/** Single flight: the lifecycle's first task lists its machine's running executions. */
export const LIFECYCLE_LIST_GRANTS = [grant('lifecycleStateMachine', 'states:ListExecutions')] as const satisfies readonly Grant[];

export interface ExecutionStarter {
  /** Starts `name` once: starting a name that already ran is a no-op. */
  start(name: string, input: Record<string, unknown>): Promise<void>;
}

/** The Step Functions client of a function: its credentials, and the local endpoint where set. */
function sfnClientFrom(env: Env, hook: ClientHook): SFNClient {
  const endpoint = env[RESOURCE_ENV.stepFunctions];
  return hook(new SFNClient({ ...clientConfig(env), ...(endpoint ? { endpoint } : {}) }));
}

export const IMPORT_STATE_MACHINE_ENV = 'ALKI_IMPORT_STATE_MACHINE_ARN';
export const EXPORT_STATE_MACHINE_ENV = 'ALKI_EXPORT_STATE_MACHINE_ARN';

export class SfnStarter implements ExecutionStarter {
  private readonly sfn: SFNClient;
  private readonly arn: string;

  constructor(arn: string, sfn: SFNClient) {
    this.sfn = sfn;
    this.arn = arn;
  }

  static fromEnv(env: Env, variable: string, hook: ClientHook = untraced): SfnStarter {
    const arn = env[variable];
    if (!arn) throw new Error(`${variable} is not set`);
    return new SfnStarter(arn, sfnClientFrom(env, hook));
  }

  async start(name: string, input: Record<string, unknown>): Promise<void> {
    try {
      await this.sfn.send(new StartExecutionCommand({ stateMachineArn: this.arn, name, input: JSON.stringify(input) }));
    } catch (err) {
      if (errorName(err) === 'ExecutionAlreadyExists') return;
      translate(err, `start execution ${name}`);
    }
  }
}

export interface RunningExecution {
  readonly executionArn: string;
  readonly startDate: Date;
}

/** The running executions of a state machine (single flight). */
export class RunningExecutions {
  private readonly sfn: SFNClient;

  constructor(sfn: SFNClient) {
    this.sfn = sfn;
  }

  static fromEnv(env: Env, hook: ClientHook = untraced): RunningExecutions {
    return new RunningExecutions(sfnClientFrom(env, hook));
  }

  async list(stateMachineArn: string): Promise<RunningExecution[]> {
    const out: RunningExecution[] = [];
    try {
      for await (const page of paginateListExecutions({ client: this.sfn }, { stateMachineArn, statusFilter: 'RUNNING' })) {
        for (const e of page.executions ?? []) out.push({ executionArn: e.executionArn!, startDate: e.startDate! });
      }
    } catch (err) {
      translate(err, `list executions of ${stateMachineArn}`);
    }
    return out;
  }
}
