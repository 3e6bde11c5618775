import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BaseError, EventNotFoundError, NoCommitteeError, TransactionRevertedError, walk } from './index.js';

class Inner extends BaseError { override name = 'Inner'; }

test('walk follows cause to the deepest error, or to the first one a predicate accepts (itself included), else null', () => {
  const root = new Error('socket closed');
  const inner = new Inner('inner', { cause: root });
  const outer = new BaseError('outer', { cause: inner });
  assert.equal(outer.walk(), root);
  assert.equal(outer.walk((e) => e instanceof Inner), inner);
  assert.equal(outer.walk((e) => e instanceof BaseError), outer);
  assert.equal(outer.walk((e) => e instanceof TypeError), null);
  assert.equal(new BaseError('alone').walk() instanceof BaseError, true);
  // Any thrown value: a plain Error chain, a non-error, and a chain that loops.
  assert.equal(walk(new Error('a', { cause: 'why' })), 'why');
  assert.equal(walk('just a string'), 'just a string');
  const a = new Error('a'), b = new Error('b', { cause: a });
  (a as { cause?: unknown }).cause = b;
  assert.equal(walk(b), a);
  assert.equal(walk(b, () => false), null);
});

test('a BaseError carries its short message, details and cause; the message joins the first two', () => {
  const cause = new Error('x');
  const e = new BaseError('short', { details: 'longer', cause });
  assert.equal(e.shortMessage, 'short');
  assert.equal(e.details, 'longer');
  assert.equal(e.cause, cause);
  assert.equal(e.message, 'short\n\nlonger');
  assert.equal(e.name, 'VerityError');
});

test('the shared chain errors are BaseErrors named by class, with the values that explain them', () => {
  const reverted = new TransactionRevertedError({ functionName: 'fulfill', hash: '0xab', gasUsed: 21000n });
  assert.ok(reverted instanceof BaseError);
  assert.deepEqual([reverted.name, reverted.functionName, reverted.hash, reverted.gasUsed], ['TransactionRevertedError', 'fulfill', '0xab', 21000n]);
  assert.equal(new TransactionRevertedError({ functionName: 'deploy', hash: '0xcd' }).gasUsed, undefined);
  const missing = new EventNotFoundError({ event: 'Requested', where: 'transaction 0xab', requestId: 3n });
  assert.deepEqual([missing.name, missing.event, missing.where, missing.requestId], ['EventNotFoundError', 'Requested', 'transaction 0xab', 3n]);
  assert.equal(new NoCommitteeError({ reason: 'none' }).name, 'NoCommitteeError');
});
