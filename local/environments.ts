/**
 * The environment each function sees locally: its variables as deployed (the template's,
 * names resolved), the local settings, every SDK endpoint pointed at the front door, and its
 * own role's access key with the variables Lambda sets.
 */
import { RESOURCE_ENV } from '../lambda/store/clients.ts';
import { settingsToEnv, type StoreSettings } from '../lambda/core/settings.ts';
import { UNITS, type UnitName } from '../lambda/units.ts';
import { APPLICATION_KEY, functionAccessKey } from './identities.ts';
import { localFunctionName, LOCAL_REGION, type StackModel } from './iam/stack-model.ts';

export interface LocalEnvironments {
  /** The operator's: the local settings, endpoints and names, with a key no role holds. */
  readonly env: Record<string, string>;
  readonly envOf: (u: UnitName) => Record<string, string>;
  /** An application's, calling as the role the store's grant methods made. */
  readonly applicationEnv: Record<string, string>;
}

export function localEnvironments(o: {
  readonly settings: StoreSettings;
  readonly stack: StackModel;
  readonly names: { readonly bucket: string; readonly indexTable: string };
  /** The front door's URL: every service's endpoint. */
  readonly endpoint: string;
  readonly logLevel: string;
}): LocalEnvironments {
  const env: Record<string, string> = {
    ...settingsToEnv(o.settings),
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: 'operator',
    AWS_SECRET_ACCESS_KEY: 'local',
    [RESOURCE_ENV.dynamodb]: o.endpoint,
    [RESOURCE_ENV.s3]: o.endpoint,
    [RESOURCE_ENV.stepFunctions]: o.endpoint,
    [RESOURCE_ENV.autoScaling]: o.endpoint,
    [RESOURCE_ENV.bucket]: o.names.bucket,
    [RESOURCE_ENV.indexTable]: o.names.indexTable,
  };
  const envOf = (u: UnitName): Record<string, string> => ({
    ...o.stack.functions[u].environment,
    ...env,
    AWS_ACCESS_KEY_ID: functionAccessKey(u),
    AWS_LAMBDA_FUNCTION_NAME: localFunctionName(o.settings.prefix, u),
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(UNITS[u].memoryMb),
    // As Lambda sets it: Powertools reports cold starts only for on-demand containers.
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    POWERTOOLS_LOG_LEVEL: o.logLevel,
  });
  return { env, envOf, applicationEnv: { ...env, AWS_ACCESS_KEY_ID: APPLICATION_KEY } };
}
