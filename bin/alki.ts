/** The CDK app: `npx cdk synth` / `npx cdk deploy`. cdk-nag's AwsSolutions checks run on every synth. */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AlkiStack } from '../lib/alki-stack.ts';

const app = new App();
const stackName = (app.node.tryGetContext('alki:stackName') as string | undefined) ?? 'Alki';
new AlkiStack(app, stackName, {
  description: 'Alki: a log-structured store for cold metadata (DynamoDB hot tier, S3 cold tier)',
  ...(process.env.CDK_DEFAULT_ACCOUNT ? { env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION } } : {}),
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
