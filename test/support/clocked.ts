/** Jest setup of a clocked integration test (apart from lifecycle.ts, which the fault simulation loads outside jest). */
import { afterAll, beforeAll } from '@jest/globals';
import type { StoreSettings } from '../../lambda/core/settings.ts';
import type { LocalSystem } from '../../local/system.ts';
import { ManualClock } from './lifecycle.ts';
import { client, startTestSystem } from './system.ts';

/** The embedded system on a clock moved by hand, rotated once, with an API client: what a clocked integration test starts from (made in beforeAll, stopped in afterAll). */
export function clockedSystem(
  settings: StoreSettings,
  start: number,
): { readonly clock: ManualClock; readonly sys: LocalSystem; readonly api: ReturnType<typeof client>; nextPeriod(): Promise<void> } {
  const clock = new ManualClock(start);
  let sys: LocalSystem | undefined;
  let api: ReturnType<typeof client> | undefined;
  beforeAll(async () => {
    sys = await startTestSystem(settings, { clock: clock.now, retryIntervalMs: 0 });
    await sys.runLifecycle();
    api = client(sys.url);
  });
  afterAll(() => sys?.stop());
  return {
    clock,
    get sys() {
      return sys!;
    },
    get api() {
      return api!;
    },
    /** The next period, and the lifecycle run by rotation. */
    async nextPeriod() {
      clock.advance(settings.periodMs);
      await sys!.runLifecycle();
    },
  };
}
