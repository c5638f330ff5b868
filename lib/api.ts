/**
 * The HTTP API: every route of lambda/api/routes.ts with AWS_IAM authorization, plus a
 * `$default` route to the read function (404/405 in the API's own error format), access
 * logs, and stage throttling.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, LogGroupLogDestination, type IHttpRouteAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ROUTES, type Unit } from '../lambda/api/routes.ts';

export interface ApiProps {
  readonly prefix: string;
  readonly functions: Readonly<Record<Unit, IFunction>>;
  readonly rateLimit: number;
  readonly burstLimit: number;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** A line a request in the access log group (default on). */
  readonly accessLogs?: boolean;
}

export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  caller: '$context.identity.caller',
  user: '$context.identity.userArn',
  time: '$context.requestTime',
  method: '$context.httpMethod',
  routeKey: '$context.routeKey',
  status: '$context.status',
  length: '$context.responseLength',
  latencyMs: '$context.responseLatency',
  integrationLatencyMs: '$context.integrationLatency',
  error: '$context.integrationErrorMessage',
});

export class Api extends Construct {
  readonly httpApi: HttpApi;
  readonly authorizer: IHttpRouteAuthorizer = new HttpIamAuthorizer();

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const accessLogs =
      (props.accessLogs ?? true) ? new LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: props.removalPolicy }) : undefined;
    this.httpApi = new HttpApi(this, 'HttpApi', {
      apiName: `${props.prefix}-api`,
      description: 'Alki: cold metadata store',
      createDefaultStage: false,
      defaultAuthorizer: this.authorizer,
    });
    const stage = this.httpApi.addStage('Stage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
      ...(accessLogs ? { accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: AccessLogFormat.custom(ACCESS_LOG_FORMAT) } } : {}),
    });
    if (!accessLogs) {
      Validations.of(stage).acknowledge({
        id: 'AwsSolutions::AwsSolutions-APIG1',
        reason:
          "Access logging turned off by the apiAccessLogs property: at the API's request rates a line a request costs more than it tells; the functions log every error, and IAM callers are in CloudTrail.",
      });
    }
    const integrations = {
      ingest: new HttpLambdaIntegration('Ingest', props.functions.ingest),
      read: new HttpLambdaIntegration('Read', props.functions.read),
      transfers: new HttpLambdaIntegration('Imports', props.functions.transfers),
    } satisfies Record<Unit, HttpLambdaIntegration>;
    for (const r of ROUTES) {
      this.httpApi.addRoutes({ path: r.path, methods: [HttpMethod[r.method]], integration: integrations[r.unit], authorizer: this.authorizer });
    }
    // Unmatched requests: the read function answers 404/405, still behind IAM.
    this.httpApi.addRoutes({ path: '/{proxy+}', methods: [HttpMethod.ANY], integration: integrations.read, authorizer: this.authorizer });
  }

  get url(): string {
    return `https://${this.httpApi.apiId}.execute-api.${Stack.of(this).region}.${Stack.of(this).urlSuffix}/`;
  }
}
