// @verity/cli as a library: the embedded devnet and its story (what `verity dev` runs), the
// pieces scripts and benchmarks start a chain with, and the testbed of real node processes.
export { AGREED_MODELS, DEV_HEARTBEAT, DEVNET_PARAMETERS, MAX_DEV_NODES, dev as startDevnet, type DevOptions, type Devnet } from './dev.js';
export { MARKET_QUESTION, NFT_EVENT, runStory, summaryTable, type ProvedModel, type StoryContext, type StoryOutcome, type StoryRow } from './story.js';
export { AnvilStartError, keepMining, startAnvil, type Anvil, type Heartbeat } from './anvil.js';
export { ANVIL_MNEMONIC, anvilKey, connect } from './chain.js';
export { agreedRequestGas, measureVerifyGas } from './models.js';
export {
  network, nodeConfig, NodeProcess, RedisNotInstalledError, startRedis, startTestbed, stopTestbed,
  type LogLine, type Network, type Testbed,
} from './testbed.js';
