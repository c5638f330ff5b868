/**
 * One Lambda function per unit: bundled by the local esbuild (never Docker), Node 24 on
 * arm64, its own role with only its own log group, X-Ray, and Powertools settings.
 */
import { Duration } from 'aws-cdk-lib';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { ApplicationLogLevel, Architecture, LoggingFormat, Runtime, SystemLogLevel, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { handlerEntry, serviceName, UNITS, type UnitName } from '../lambda/units.ts';
import { acknowledgeWildcards, arnRef, XRAY_REASON } from './nag.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/**
 * In this repository the handlers are bundled from their TypeScript, with this lock file; in
 * the installed package (dist/) from their JavaScript, with the application's lock file,
 * which NodejsFunction finds from the working directory.
 */
const LOCK_FILE = `${ROOT}package-lock.json`;
const entryOf = (unit: UnitName): string => {
  const ts = `${ROOT}${handlerEntry(unit)}`;
  return existsSync(ts) ? ts : ts.replace(/\.ts$/, '.js');
};

export interface UnitFunctionProps {
  readonly unit: UnitName;
  readonly prefix: string;
  readonly environment: Record<string, string>;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** Reserved concurrency: guaranteed to this function, and its cap (lambda/core/concurrency.ts). */
  readonly reservedConcurrency?: number | undefined;
  /** X-Ray active tracing (Lambda samples 1 request a second and 5% of the rest; no sampling rule applies). */
  readonly tracing: boolean;
}

export class UnitFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: UnitFunctionProps) {
    super(scope, id);
    const spec = UNITS[props.unit];
    const logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Alki ${props.unit}: only what this function does`,
    });
    this.role.addToPolicy(
      new PolicyStatement({ effect: Effect.ALLOW, actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [`${logGroup.logGroupArn}:*`] }),
    );
    this.fn = new NodejsFunction(this, 'Function', {
      entry: entryOf(props.unit),
      handler: 'handler',
      ...(existsSync(LOCK_FILE) ? { projectRoot: ROOT, depsLockFilePath: LOCK_FILE } : {}),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: spec.memoryMb,
      timeout: Duration.seconds(spec.timeoutSeconds),
      description: spec.description,
      role: this.role,
      logGroup,
      ...(props.reservedConcurrency !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrency } : {}),
      tracing: props.tracing ? Tracing.ACTIVE : Tracing.PASS_THROUGH,
      // JSON lines, and Lambda's own START, END and REPORT lines (INFO) left out: at the API's
      // rates they are most of the log bytes a request writes. Errors and timeouts still show.
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: serviceName(props.unit),
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      },
      // The AWS SDK is bundled (not taken from the runtime): deployed code runs the SDK version the tests ran.
      // keepNames: an error's name is its class name (core/errors.ts), and the state machines'
      // Retry and Catch match on it (ThrottledError, MissingDataError): minified, it would be "Ge".
      bundling: { format: OutputFormat.CJS, minify: true, keepNames: true, sourceMap: true, target: 'node24', forceDockerBundling: false, externalModules: [] },
    });
    acknowledgeWildcards(this.role, [
      { resource: `${arnRef(logGroup)}:*`, reason: "Log streams are created at run time, only inside this function's own log group." },
      // PassThrough tracing too: CDK grants X-Ray writes for a trace an upstream service sampled.
      { resource: '*', reason: XRAY_REASON },
    ]);
  }
}
