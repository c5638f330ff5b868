/**
 * Who calls the embedded AWS: each function holds its role's own access key (as Lambda gives
 * it), each state machine its role's (its Distributed Maps read and write S3 as it), and an
 * application the role the store's grant methods made; the front door maps a key back to its
 * role and policies from the synthesized template. Any other key is the operator's.
 */
import type { Principal } from './front-door/front-door.ts';
import { localFunctionName, type StackModel } from './iam/stack-model.ts';
import type { UnitName } from '../lambda/units.ts';

/** The access key of the application's role (LocalSystem.applicationEnv). */
export const APPLICATION_KEY = 'ASIALOCALAPPLICATION';

export const functionAccessKey = (u: UnitName): string => `ASIALOCAL${u.toUpperCase()}`;
export const stateMachineAccessKey = (machine: string): string => `ASIALOCALSFN${machine.replace(/[^a-z0-9]/gi, '').toUpperCase()}`;

/** Every role of the template by its local access key. */
export function localPrincipals(stack: StackModel, prefix: string): ReadonlyMap<string, Principal> {
  const roles = new Map<string, Principal>(
    Object.values(stack.functions).map((f) => [
      functionAccessKey(f.unit),
      { kind: 'role', name: localFunctionName(prefix, f.unit), arn: f.roleArn, policies: f.policies },
    ]),
  );
  for (const m of Object.values(stack.stateMachines))
    roles.set(stateMachineAccessKey(m.name), { kind: 'role', name: m.name, arn: m.roleArn, policies: m.policies });
  roles.set(APPLICATION_KEY, { kind: 'role', name: 'application', arn: stack.application.roleArn, policies: stack.application.policies });
  return roles;
}
