/** Ingest: PUT and DELETE of one item, and batch writes. */
import { makeApiHandler } from '../api/handler.ts';
import type { ClientHook, Env } from '../store/clients.ts';
import { DataPlane } from '../data-plane/data-plane.ts';
import { ingestOps } from './operations.ts';

export const createIngestHandler = (dp: (hook: ClientHook) => DataPlane, env: () => Env = () => process.env) => makeApiHandler('ingest', ingestOps, dp, env);
export const handler = createIngestHandler((hook) => DataPlane.fromEnv(process.env, hook));
