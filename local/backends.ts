/** The emulators behind the front door: dynalite for DynamoDB and fauxqs for S3, in this process, on free ports. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import dynalite from 'dynalite';
import { startFauxqs } from 'fauxqs';

export interface Backends {
  readonly dynamodb: string;
  readonly s3: string;
  stop(): Promise<void>;
}

export function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** dynalite on a free port, its tables made and changed at once, in memory or under `path`. */
export async function startDynalite(path?: string): Promise<{ readonly url: string; stop(): Promise<void> }> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(path ? { path } : {}) });
  const port = await listen(server, 0);
  return { url: `http://127.0.0.1:${port}`, stop: () => new Promise<void>((r) => server.close(() => r())) };
}

/** In memory, or under `dataDir` (kept across restarts). */
export async function startBackends(dataDir: string | undefined): Promise<Backends> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const ddb = await startDynalite(dataDir ? join(dataDir, 'dynamodb') : undefined);
  const s3 = await startFauxqs({
    port: 0,
    logger: false,
    ...(dataDir ? { dataDir: join(dataDir, 's3-meta'), s3StorageDir: join(dataDir, 's3') } : {}),
  });
  return {
    dynamodb: ddb.url,
    s3: s3.address,
    async stop() {
      await s3.stop();
      await ddb.stop();
    },
  };
}
