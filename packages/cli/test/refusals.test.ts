// The CLI's refusals that come before any file or RPC is read: each a named class with its values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findBin, ToolNotInstalledError } from '../src/anvil.js';
import { InvalidModelIdError, requestCommand, serveCommand } from '../src/commands.js';
import { OptionValueError } from '../src/options.js';

const log = () => {};
const modelId = `0x${'ab'.repeat(32)}`;

test('a model id that is not 32 bytes of hex is an InvalidModelIdError naming it; a version below 1 an OptionValueError', async () => {
  await assert.rejects(serveCommand({ deployment: 'unused.json', models: [modelId, '0x1234'], log }), (e: unknown) => e instanceof InvalidModelIdError && e.value === '0x1234');
  await assert.rejects(requestCommand({ deployment: 'unused.json', modelId: 'abc', bytes: '0x01', wait: false, log }), (e: unknown) => e instanceof InvalidModelIdError && e.value === 'abc');
  await assert.rejects(requestCommand({ deployment: 'unused.json', modelId, version: 0, bytes: '0x01', wait: false, log }), (e: unknown) => e instanceof OptionValueError && e.option === '--version' && e.value === '0');
});

test('an executable that no node_modules/.bin above the CLI holds is a ToolNotInstalledError naming it', () => {
  assert.throws(() => findBin('verity-no-such-tool'), (e: unknown) => e instanceof ToolNotInstalledError && e.tool === 'verity-no-such-tool');
});
