/**
 * The lifecycle: the ASL files of statemachines/, loaded as they are with their
 * placeholders substituted by CloudFormation, logged and traced, started on a schedule.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ArnFormat, Duration, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { EXECUTION_TIMEOUT_SECONDS } from '../lambda/core/limits.ts';

export const STATE_MACHINES_DIR = fileURLToPath(new URL('../statemachines/', import.meta.url));

/** `${Name}` placeholders of an ASL file, in order of first use. */
export function placeholders(asl: string): string[] {
  return [...new Set([...asl.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!))];
}

/** Whether an ASL definition has a Map in DISTRIBUTED mode, at any depth. */
export function hasDistributedMap(definition: unknown): boolean {
  return JSON.stringify(definition).includes('"Mode":"DISTRIBUTED"');
}

/**
 * What a state machine's role needs for Distributed Maps that read their items from an S3
 * object and write their results to S3 (AWS's documented policy for ItemReader and
 * ResultWriter): start its own child executions, watch and stop them, and the objects.
 */
export const DISTRIBUTED_MAP_ACTIONS = {
  machine: ['states:StartExecution'],
  childExecutions: ['states:DescribeExecution', 'states:StopExecution', 'states:RedriveExecution'],
  objects: ['s3:GetObject', 's3:PutObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
  // Without it S3 answers a missing item list with 403 AccessDenied instead of 404 NoSuchKey.
  bucket: ['s3:ListBucket'],
} as const;

export interface FileStateMachineProps {
  readonly prefix: string;
  /** `statemachines/<machine>.asl.json`; the state machine is named `<prefix>-<machine>`. */
  readonly machine: string;
  /** Placeholder name to the function its Task invokes. */
  readonly functions: Readonly<Record<string, IFunction>>;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly timeout: Duration;
  /** Where its Distributed Maps read items from and write results to: the bucket's ARN and its objects' (a pattern). */
  readonly maps?: { readonly bucket: string; readonly objects: string };
}

/** A state machine from its ASL file, every placeholder substituted, logged (ALL) and traced. */
export class FileStateMachine extends Construct {
  readonly stateMachine: StateMachine;
  readonly functions: Readonly<Record<string, IFunction>>;
  readonly logs: LogGroup;

  constructor(scope: Construct, id: string, props: FileStateMachineProps) {
    super(scope, id);
    const file = `${STATE_MACHINES_DIR}${props.machine}.asl.json`;
    const asl = readFileSync(file, 'utf8');
    const substitutions: Record<string, string> = {};
    const used: Record<string, IFunction> = {};
    for (const name of placeholders(asl)) {
      const fn = props.functions[name];
      if (!fn) throw new Error(`${file}: no function for placeholder \${${name}}`);
      substitutions[name] = fn.functionArn;
      used[name] = fn;
    }
    this.functions = used;
    this.logs = new LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: `${props.prefix}-${props.machine}`,
      definitionBody: DefinitionBody.fromString(asl),
      definitionSubstitutions: substitutions,
      tracingEnabled: true,
      logs: { destination: this.logs, level: LogLevel.ALL, includeExecutionData: true },
      timeout: props.timeout,
    });
    for (const fn of Object.values(used)) fn.grantInvoke(this.stateMachine);
    if (hasDistributedMap(JSON.parse(asl))) {
      if (!props.maps) throw new Error(`${file} has a Distributed Map: say where its items and results are (maps)`);
      // By name: the machine's own ARN in its role's policy would make a cycle.
      const name = `${props.prefix}-${props.machine}`;
      const arn = (resource: string, resourceName: string): string =>
        Stack.of(this).formatArn({ service: 'states', resource, resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
      const role = this.stateMachine.role;
      role.addToPrincipalPolicy(
        new PolicyStatement({ sid: 'MapChildren', actions: [...DISTRIBUTED_MAP_ACTIONS.machine], resources: [arn('stateMachine', name)] }),
      );
      role.addToPrincipalPolicy(
        new PolicyStatement({ sid: 'MapChildExecutions', actions: [...DISTRIBUTED_MAP_ACTIONS.childExecutions], resources: [arn('execution', `${name}/*`)] }),
      );
      role.addToPrincipalPolicy(new PolicyStatement({ sid: 'MapObjects', actions: [...DISTRIBUTED_MAP_ACTIONS.objects], resources: [props.maps.objects] }));
      role.addToPrincipalPolicy(new PolicyStatement({ sid: 'MapBucket', actions: [...DISTRIBUTED_MAP_ACTIONS.bucket], resources: [props.maps.bucket] }));
    }
  }
}

export interface LifecycleProps {
  readonly prefix: string;
  /** Placeholder name to the function its Task invokes. */
  readonly functions: Readonly<Record<string, IFunction>>;
  readonly every: Duration;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly maps: { readonly bucket: string; readonly objects: string };
}

/** The lifecycle state machine, started on a schedule. */
export class Lifecycle extends Construct {
  readonly stateMachine: StateMachine;
  readonly schedule: Rule;
  readonly functions: Readonly<Record<string, IFunction>>;
  readonly logs: LogGroup;

  constructor(scope: Construct, id: string, props: LifecycleProps) {
    super(scope, id);
    const sm = new FileStateMachine(this, 'Machine', { ...props, machine: 'lifecycle', timeout: Duration.seconds(EXECUTION_TIMEOUT_SECONDS.lifecycle) });
    this.stateMachine = sm.stateMachine;
    this.functions = sm.functions;
    this.logs = sm.logs;
    this.schedule = new Rule(this, 'Schedule', {
      description: 'Starts the Alki lifecycle',
      schedule: Schedule.rate(props.every),
      targets: [new SfnStateMachine(this.stateMachine)],
    });
  }
}
