/**
 * The functions of the embedded system, as the source handlers in this process or as the
 * deployable bundles (one worker each): the state machines' task handlers by placeholder and
 * the API's handlers by unit, each with its own function's environment and role.
 */
import type { Clock } from '../lambda/core/seq.ts';
import type { HttpResult } from '../lambda/api/http.ts';
import type { DataPlane } from '../lambda/data-plane/data-plane.ts';
import { createIngestHandler } from '../lambda/ingest/handler.ts';
import { createReadHandler } from '../lambda/read/handler.ts';
import { EXPORT_STATE_MACHINE_ENV, IMPORT_STATE_MACHINE_ENV, SfnStarter } from '../lambda/store/executions.ts';
import { createTransfersHandler, transfersDepsFrom } from '../lambda/transfers/handler.ts';
import { UNITS, unitOfPlaceholder, type UnitName } from '../lambda/units.ts';
import type { Handlers } from './gateway.ts';
import { localFunctionName, type StackModel } from './iam/stack-model.ts';
import { loadBundle, type LoadedBundle } from './lambda-runtime.ts';
import type { TaskHandler } from './step-functions.ts';
import { localTaskHandlers } from './tasks.ts';

export interface LocalFunctions {
  /** The state machines' tasks, by ASL placeholder. */
  readonly tasks: Readonly<Record<string, TaskHandler>>;
  /** The API's handlers, by unit. */
  readonly handlers: Handlers;
  /** The loaded bundles, when the functions run as deployed. */
  readonly bundles: Record<UnitName, LoadedBundle> | undefined;
}

export interface LocalFunctionsOptions {
  readonly runtime: 'source' | 'bundles';
  readonly stack: StackModel;
  readonly prefix: string;
  /** A function's environment as deployed, with the local endpoints and its role's key. */
  readonly envOf: (u: UnitName) => Record<string, string>;
  readonly clock: Clock;
  /** The data planes of the ingest and read functions (source runtime). */
  readonly dataPlanes: { readonly ingest: DataPlane; readonly read: DataPlane };
}

export async function loadFunctions(o: LocalFunctionsOptions): Promise<LocalFunctions> {
  const { envOf, clock } = o;
  const sourceTasks = localTaskHandlers(envOf, clock);
  if (o.runtime === 'bundles') {
    const units = Object.keys(UNITS) as UnitName[];
    const bundles = Object.fromEntries(
      await Promise.all(
        units.map(
          async (u) => [u, await loadBundle(o.stack.functions[u].assetDir, envOf(u), localFunctionName(o.prefix, u), UNITS[u].timeoutSeconds)] as const,
        ),
      ),
    ) as Record<UnitName, LoadedBundle>;
    return {
      // The same placeholders, each served by its unit's bundle.
      tasks: Object.fromEntries(Object.keys(sourceTasks).map((p): [string, TaskHandler] => [p, (input) => bundles[unitOfPlaceholder(p)!].invoke(input)])),
      handlers: {
        ingest: (e) => bundles.ingest.invoke(e) as Promise<HttpResult>,
        read: (e) => bundles.read.invoke(e) as Promise<HttpResult>,
        transfers: (e) => bundles.transfers.invoke(e) as Promise<HttpResult>,
      },
      bundles,
    };
  }
  return {
    tasks: sourceTasks,
    handlers: {
      ingest: createIngestHandler(
        () => o.dataPlanes.ingest,
        () => envOf('ingest'),
      ),
      read: createReadHandler(
        () => o.dataPlanes.read,
        () => envOf('read'),
      ),
      transfers: createTransfersHandler(
        () =>
          transfersDepsFrom(
            envOf('transfers'),
            {
              imports: SfnStarter.fromEnv(envOf('transfers'), IMPORT_STATE_MACHINE_ENV),
              exports: SfnStarter.fromEnv(envOf('transfers'), EXPORT_STATE_MACHINE_ENV),
            },
            clock,
          ),
        () => envOf('transfers'),
      ),
    },
    bundles: undefined,
  };
}
