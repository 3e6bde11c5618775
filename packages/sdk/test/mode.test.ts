// The mode enum is decoded in one place (the sdk's modeName), which the explorer and the client use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mode, modeName } from '@verity/sdk';

test('modeName names ModelRegistry.Mode values', () => {
  assert.equal(modeName(Mode.Proved), 'proved');
  assert.equal(modeName(Mode.Agreed), 'agreed');
  assert.equal(modeName(0), 'proved');
  assert.equal(modeName(1), 'agreed');
});
