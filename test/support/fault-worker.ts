/**
 * One worker process of the seeded fault simulation (`npm run simulate -- --faults`, which
 * forks it): `node test/support/fault-worker.ts FROM SEEDS SHARD OF` runs the seeds of shard
 * SHARD of OF and prints one JSON line (a SeedResult) each. The simulation is a test harness:
 * the bench launches it as a process and reads its lines, importing nothing from test/.
 */
import { runSeed } from './fault-simulation.ts';

const [from, seeds, shard, of] = process.argv.slice(2).map(Number) as [number, number, number, number];
for (let s = from + shard; s < from + seeds; s += of) process.stdout.write(`${JSON.stringify(await runSeed(s))}\n`);
process.exit(0);
