/**
 * The lifecycle: the ASL files of statemachines/, loaded as they are with their
 * placeholders substituted by CloudFormation, logged and traced, started on a schedule.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export const STATE_MACHINES_DIR = fileURLToPath(new URL('../statemachines/', import.meta.url));

/** `${Name}` placeholders of an ASL file, in order of first use. */
export function placeholders(asl: string): string[] {
  return [...new Set([...asl.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!))];
}

export interface FileStateMachineProps {
  readonly prefix: string;
  /** `statemachines/<machine>.asl.json`; the state machine is named `<prefix>-<machine>`. */
  readonly machine: string;
  /** Placeholder name to the function its Task invokes. */
  readonly functions: Readonly<Record<string, IFunction>>;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly timeout: Duration;
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
  }
}

export interface LifecycleProps {
  readonly prefix: string;
  /** Placeholder name to the function its Task invokes. */
  readonly functions: Readonly<Record<string, IFunction>>;
  readonly every: Duration;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/** The lifecycle state machine, started on a schedule. */
export class Lifecycle extends Construct {
  readonly stateMachine: StateMachine;
  readonly schedule: Rule;
  readonly functions: Readonly<Record<string, IFunction>>;
  readonly logs: LogGroup;

  constructor(scope: Construct, id: string, props: LifecycleProps) {
    super(scope, id);
    const sm = new FileStateMachine(this, 'Machine', { ...props, machine: 'lifecycle', timeout: Duration.hours(6) });
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
