import assert from 'node:assert/strict';
import { test } from 'node:test';
import { snarkjsLogger, type ProgressEvent } from './progress.js';

test('snarkjs counters become one progress event per whole percent, info lines become phases', () => {
  const events: ProgressEvent[] = [];
  const logger = snarkjsLogger('groth16 setup', (e) => events.push(e));
  logger.info('Reading r1cs');
  logger.debug('processing constraints: 0/400');
  logger.debug('processing constraints: 1/400'); // still 0%
  logger.debug('processing constraints: 200/400');
  logger.debug('processing constraints: 100/400'); // a slower parallel chunk: not a step back
  logger.debug('Writing points end C: 4096/4096');
  logger.info('Circuit hash: ab cd'); // hashes are not phases
  assert.deepEqual(events, [
    { phase: 'groth16 setup: reading r1cs' },
    { phase: 'groth16 setup: processing constraints', percent: 0 },
    { phase: 'groth16 setup: processing constraints', percent: 50 },
    { phase: 'groth16 setup: writing points C', percent: 100 },
  ]);
});
