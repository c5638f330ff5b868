// The order of one `npm test` run: unit, infra, then integration tests, and last the
// least-privilege check, which reads the IAM log all integration tests wrote before it.
import Sequencer from '@jest/test-sequencer';

const rank = (path) =>
  path.includes('/test/unit/') ? 0 : path.includes('/test/infra/') ? 1 : path.endsWith('/least-privilege.test.ts') ? 3 : 2;

// jest 29 ships it as CommonJS with a default export.
export default class AlkiSequencer extends (Sequencer.default ?? Sequencer) {
  sort(tests) {
    return [...tests].sort((a, b) => rank(a.path) - rank(b.path) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}
