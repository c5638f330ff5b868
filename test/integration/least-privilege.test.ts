/**
 * Least privilege, the other way round: the front door already refuses every call a role
 * does not allow; here, every action a function is granted must have been used by that
 * function somewhere in this run of the integration tests (the sequencer runs this file
 * last). Run alone, it fails: it needs the whole suite (`npm run test:integration`).
 */
import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { readIamLog, unusedGrants } from '../../local/iam/iam-log.ts';

describe('least privilege', () => {
  it('every granted action was used by its function in this run', () => {
    const file = process.env.ALKI_IAM_LOG;
    assert.ok(file, 'ALKI_IAM_LOG is set by test/jest/global-setup.js');
    const entries = readIamLog(file);
    assert.ok(entries.length > 0, `no IAM decisions in ${file}: the integration tests did not run before this one`);
    assert.deepEqual(unusedGrants(entries), [], 'granted but never used: remove the grant, or cover the path with a test');
  });
});
