/** The handler behind each Task placeholder of the ASL files: the same functions Lambda runs. */
import { createCommitHandler } from '../lambda/commit/handler.ts';
import { createCompactHandler } from '../lambda/compact/handler.ts';
import { createGcHandler } from '../lambda/gc/handler.ts';
import { createOffloadHandler } from '../lambda/offload/handler.ts';
import { createRotateHandler } from '../lambda/rotate/handler.ts';
import type { Env } from '../lambda/store/clients.ts';
import { arnPlaceholder } from '../lambda/units.ts';
import { createVerifyHandler } from '../lambda/verify/handler.ts';
import type { TaskHandler } from './step-functions.ts';

export function localTaskHandlers(env: () => Env, log: (line: string) => void): Record<string, TaskHandler> {
  const as = (f: (input: never) => Promise<unknown>): TaskHandler => f as unknown as TaskHandler;
  return {
    [arnPlaceholder('rotate')]: as(createRotateHandler(env, log)),
    [arnPlaceholder('offload')]: as(createOffloadHandler(env)),
    [arnPlaceholder('verify')]: as(createVerifyHandler(env)),
    [arnPlaceholder('compact')]: as(createCompactHandler(env)),
    [arnPlaceholder('commit')]: as(createCommitHandler(env)),
    [arnPlaceholder('gc')]: as(createGcHandler(env)),
  };
}
