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

export interface LifecycleProps {
  readonly prefix: string;
  /** Placeholder name to the function its Task invokes. */
  readonly functions: Readonly<Record<string, IFunction>>;
  readonly every: Duration;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

export class Lifecycle extends Construct {
  readonly stateMachine: StateMachine;
  readonly schedule: Rule;
  readonly functions: Readonly<Record<string, IFunction>>;
  readonly logs: LogGroup;

  constructor(scope: Construct, id: string, props: LifecycleProps) {
    super(scope, id);
    this.functions = props.functions;
    const file = `${STATE_MACHINES_DIR}lifecycle.asl.json`;
    const asl = readFileSync(file, 'utf8');
    const substitutions: Record<string, string> = {};
    for (const name of placeholders(asl)) {
      const fn = props.functions[name];
      if (!fn) throw new Error(`${file}: no function for placeholder \${${name}}`);
      substitutions[name] = fn.functionArn;
    }
    const logs = new LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
    this.logs = logs;
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: `${props.prefix}-lifecycle`,
      definitionBody: DefinitionBody.fromString(asl),
      definitionSubstitutions: substitutions,
      tracingEnabled: true,
      logs: { destination: logs, level: LogLevel.ALL, includeExecutionData: true },
      timeout: Duration.hours(6),
    });
    for (const fn of Object.values(props.functions)) fn.grantInvoke(this.stateMachine);
    this.schedule = new Rule(this, 'Schedule', {
      description: 'Starts the Alki lifecycle',
      schedule: Schedule.rate(props.every),
      targets: [new SfnStateMachine(this.stateMachine)],
    });
  }
}
