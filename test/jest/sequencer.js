// The order of one jest run: unit, infra, then integration tests, and last the
// least-privilege check, which reads the IAM log all integration tests wrote before it.
// Within a group, jest's own order: the slowest (by the last run's durations) first, so two
// workers finish together.
import Sequencer from '@jest/test-sequencer';

const rank = (path) => (path.includes('/test/unit/') ? 0 : path.includes('/test/infra/') ? 1 : path.endsWith('/least-privilege.test.ts') ? 3 : 2);

// jest 29 ships it as CommonJS with a default export.
export default class AlkiSequencer extends (Sequencer.default ?? Sequencer) {
  sort(tests) {
    const order = new Map(super.sort([...tests]).map((t, i) => [t.path, i]));
    return [...tests].sort((a, b) => rank(a.path) - rank(b.path) || order.get(a.path) - order.get(b.path));
  }
}
