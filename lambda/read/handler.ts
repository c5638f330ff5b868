/** Read: one item, batch get, range queries (now or at a checkpoint), checkpoints, and the manifest. Also answers unmatched routes. */
import { makeApiHandler } from '../api/handler.ts';
import type { ClientHook, Env } from '../store/clients.ts';
import { DataPlane } from '../data-plane/data-plane.ts';
import { readOps } from './operations.ts';

export const createReadHandler = (dp: (hook: ClientHook) => DataPlane, env: () => Env = () => process.env) => makeApiHandler('read', readOps, dp, env);
export const handler = createReadHandler((hook) => DataPlane.fromEnv(process.env, hook));
