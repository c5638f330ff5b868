/** The handler behind each Task placeholder of the ASL files: the same functions Lambda runs. */
import { createCommitHandler } from '../lambda/commit/handler.ts';
import { createCompactHandler } from '../lambda/compact/handler.ts';
import { createGcHandler } from '../lambda/gc/handler.ts';
import { createImporterHandler } from '../lambda/importer/handler.ts';
import { createOffloadHandler } from '../lambda/offload/handler.ts';
import { createRotateHandler } from '../lambda/rotate/handler.ts';
import { systemClock, type Clock } from '../lambda/core/seq.ts';
import type { Env } from '../lambda/store/clients.ts';
import { arnPlaceholder } from '../lambda/units.ts';
import { createVerifyHandler } from '../lambda/verify/handler.ts';
import type { TaskHandler } from './step-functions.ts';

export function localTaskHandlers(env: () => Env, log: (line: string) => void, now: Clock = systemClock): Record<string, TaskHandler> {
  const as = (f: (input: never) => Promise<unknown>): TaskHandler => f as unknown as TaskHandler;
  return {
    [arnPlaceholder('rotate')]: as(createRotateHandler(env, log, now)),
    [arnPlaceholder('offload')]: as(createOffloadHandler(env, now)),
    [arnPlaceholder('verify')]: as(createVerifyHandler(env)),
    [arnPlaceholder('compact')]: as(createCompactHandler(env, now)),
    [arnPlaceholder('commit')]: as(createCommitHandler(env, now)),
    [arnPlaceholder('gc')]: as(createGcHandler(env, now)),
    [arnPlaceholder('importer')]: as(createImporterHandler(env, now)),
  };
}
