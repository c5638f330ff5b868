/** The emulator's own tests of the front door: roles made from statements, and dynalite behind a door that knows them. */
import { startDynalite } from '../../local/backends.ts';
import { startFrontDoor, type FrontDoor, type Principal } from '../../local/front-door/front-door.ts';
import type { NamedPolicy } from '../../local/iam/policy.ts';

/** A role with one policy of these statements. */
export const role = (name: string, statements: NamedPolicy['statements']): Principal => ({
  kind: 'role',
  name,
  arn: `arn:aws:iam::000000000000:role/${name}`,
  policies: [{ name: `${name}-policy`, statements }],
});

/** dynalite behind a front door that knows `roles` by access key (no bucket, no state machines). */
export async function dynamodbBehindFrontDoor(roles: Readonly<Record<string, Principal>>): Promise<{ readonly door: FrontDoor; stop(): Promise<void> }> {
  const dynamodb = await startDynalite();
  const door = await startFrontDoor({ dynamodb: dynamodb.url, s3: 'http://127.0.0.1:1', principalOf: (k) => roles[k], bucketPolicy: [] });
  return {
    door,
    async stop() {
      await door.close();
      await dynamodb.stop();
    },
  };
}
