/** The handler behind each Task placeholder of the ASL files: the same functions Lambda runs, each with its own environment. */
import { createCommitHandler } from '../lambda/commit/handler.ts';
import { createCompactHandler } from '../lambda/compact/handler.ts';
import { createExporterHandler } from '../lambda/exporter/handler.ts';
import { createGcHandler } from '../lambda/gc/handler.ts';
import { createImporterHandler } from '../lambda/importer/handler.ts';
import { createOffloadHandler } from '../lambda/offload/handler.ts';
import { createRotateHandler } from '../lambda/rotate/handler.ts';
import { systemClock, type Clock } from '../lambda/core/seq.ts';
import type { Env } from '../lambda/store/clients.ts';
import { arnPlaceholder, type UnitName } from '../lambda/units.ts';
import { createVerifyHandler } from '../lambda/verify/handler.ts';
import { createRescanHandler } from '../lambda/rescan/handler.ts';
import type { TaskHandler } from './step-functions.ts';

/** `envOf(unit)`: the environment that unit's function sees (its role's credentials among it). */
export function localTaskHandlers(envOf: (unit: UnitName) => Env, now: Clock = systemClock): Record<string, TaskHandler> {
  const as = (f: (input: never) => Promise<unknown>): TaskHandler => f as unknown as TaskHandler;
  return {
    [arnPlaceholder('rotate')]: as(createRotateHandler(() => envOf('rotate'), now)),
    [arnPlaceholder('offload')]: as(createOffloadHandler(() => envOf('offload'), now)),
    [arnPlaceholder('verify')]: as(createVerifyHandler(() => envOf('verify'), now)),
    [arnPlaceholder('rescan')]: as(createRescanHandler(() => envOf('rescan'))),
    [arnPlaceholder('compact')]: as(createCompactHandler(() => envOf('compact'), now)),
    [arnPlaceholder('commit')]: as(createCommitHandler(() => envOf('commit'), now)),
    [arnPlaceholder('gc')]: as(createGcHandler(() => envOf('gc'), now)),
    [arnPlaceholder('importer')]: as(createImporterHandler(() => envOf('importer'), now)),
    [arnPlaceholder('exporter')]: as(createExporterHandler(() => envOf('exporter'), now)),
  };
}
