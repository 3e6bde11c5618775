import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BaseError as ViemBaseError } from 'viem';
import { BaseError, decodeRevert } from '@verity/sdk/errors';
import { type BackendChoice, ceremonyPtau, compileModel, contribute, devPowersOfTau, importPtau, inputRange, loadCompiled, Prover, readInputFile, readProofFile, readSamplesFile, syntheticCalibrationWarning, verifyProof, verifySetup } from '@verity/zkml';
import { loadNodeConfig, loadWorkerConfig, packArtefacts, runNode, runWorker } from '@verity/node';
import { dev, MAX_DEV_NODES } from './dev.js';
import { deployCommand, explorerCommand, registerCommand, requestCommand, serveCommand, stakeCommand } from './commands.js';

const HELP = `verity: a verifiable AI co-processor for EVM chains

Usage: verity <command> [options]

Start here
  dev                      embedded devnet: anvil, contracts, the example apps' models, 3 staked
                           nodes, the explorer, and a story of six apps asking Verity questions
      --nodes N            start N staked nodes (3 to 7, stakes 1..N ETH, default 3)
      --once               run the story and exit (0 on success)
      --rpc URL            use an existing anvil-like chain (its default accounts) instead of starting anvil
      --explorer-port N    serve the explorer on port N (default: any free port)
      --deployment FILE    where to write the devnet's deployment for verity request and the other
                           commands (default deployment.json; removed when the devnet stops; a file
                           that is not a devnet's deployment is never overwritten)

Model owners
  compile <model.onnx>     compile an ONNX model into circuit, keys and verifier (report.json says
                           constraints, accuracy, verification gas and verifier size)
      --out DIR            output directory (required)
      --calibration FILE   sample inputs that choose the fixed-point scales and the input range
                           (without it: random inputs in [-1, 1], so inputs above about 1 or 2 are refused)
      --input-bits N       8 or 16 (default 8)    --weight-bits N (default 12)
      --weights constant|committed|signals
                                   weights as circuit constants (default), secret behind a
                                   Poseidon commitment the registry pins, or private signals (baseline)
      --input committed|public|private   input bound by a Poseidon commitment (default; what
                           the Coprocessor checks), as public signals, or not at all
      --batch K            prove K inferences in one proof (input: K samples concatenated)
      --aggregate mean     with --batch: output only the mean over the batch
      --shard N            constraints per separately compiled part (default 150000): a larger
                           model is compiled in parts and linked into one circuit
  prove <dir>              prove one inference of a compiled model
      --input FILE         {"input_data": [[...]]} or a JSON array (required)
      --out FILE           proof file (required)   --witness FILE  also write the .wtns
      --binding N          request binding public signal (default 0)
      --clamp              saturate inputs outside the model's range to its bounds (default: refuse
                           them); the proof file lists the clamped features
      --backend native|snarkjs|auto   Groth16 engine (default VERITY_PROVER, else auto:
                           native when built by npm install, else snarkjs)
  verify <dir> <proof>     check a proof and print the outputs decoded from its public signals: exit 0
                           when valid, 1 when not (a file whose outputs disagree with its signals is refused)
  register <dir>           deploy a compiled model's verifier and register it in proved mode
      --name NAME --fee ETH        the name (unique per owner) and the fee per request you are paid
      --deployment FILE            written by verity deploy (default deployment.json)
      --allow-dev-setup            register a model with the insecure dev setup on a chain that is not a
                                   devnet (31337, 1337): whoever ran the setup can forge its proofs
                           Refused: a model compiled with --weights signals (nothing pins its weights)
  register --agreed        register a model too big to prove: a staked committee answers it
      --name NAME --fee ETH --instructions TEXT
      --criterion Exact|Numeric|Label|Comparative  (default Label)   --labels a,b,c
      --tolerance N (Numeric)      --commitment TEXT  what validators run (hashed; default the name)
  setup import-ptau FILE   verify a public ceremony's prepared .ptau and use it for compiles
  setup contribute <dir>   add a phase-2 contribution (--name NAME [--entropy TEXT])
  setup verify <dir>       check the proving key against the circuit, the ptau and every
                           contribution (exit 0/1; --ptau FILE to name the ptau)

dApp developers
  deploy --rpc URL         deploy the contracts (Coprocessor, registries, Committee) to any EVM chain
      --out FILE           where to write the addresses (default deployment.json)
      --min-stake ETH      stake a node needs (default 1)
      --admin-delay D      how long every admin change waits between scheduling and taking
                           effect (default 8d; durations: 3600, 90s, 30m, 1h, 7d)
      --unbonding D        how long an operator's unbonded stake stays slashable (default 7d);
                           off a devnet --admin-delay must be longer, so operators can leave first
      --upgrade-delay D    how long a model update waits before requests use it (default 2d)
      --windows P,C,R,A    the agreed-mode committee's propose, commit, reveal and appeal windows
                           (default 60s,60s,60s,5m; an agreed answer is final only after the appeal window)
  explorer                 serve the explorer for a deployment (--deployment FILE, --port N)
  request <modelId>        send one request from your account and print the answer
      --input FILE --model-dir DIR   float inputs, quantised as the compiled model does
      --bytes 0x…                    or the encoded input bytes
      --text "…"                     or an agreed-mode question
      --value ETH          pay this instead of the quoted fee    --no-wait  print the id and exit
      --timeout S          stop waiting after S seconds (default 600)
                           An agreed-mode answer prints each committee phase (Drawing, Propose,
                           Commit, Reveal, Accepted, Finalized) and is final only after the appeal
                           window: 5 minutes on a default verity deploy, 5 s on verity dev.
      --version N          only if N is the model's effective version (a scheduled update never
                           answers it); the output names the version, weights pinning and setup
      --deployment FILE    (default deployment.json)

Node operators
  node stake --stake ETH --name NAME
                           stake the key's account in the NodeRegistry (or add to its stake)
      --api-url URL        where your node can be reached (metadata)   --deployment FILE
  node serve <modelId>...  opt in to models: a node is drawn for (and may fulfil) only the
                           models it serves (at most 16)   --deployment FILE
  node stop-serving <modelId>...   opt out (stop the node's work on them first)
  node start --config FILE run a node (proved and/or agreed mode; SQLite job store, /health,
                           /metrics); VERITY_RPC_URL, VERITY_COPROCESSOR, VERITY_STORE,
                           VERITY_STATUS_PORT and VERITY_REDIS_URL override the file; with
                           "proving": {"redis": URL} proofs go to workers
  node worker --config FILE
                           a proving worker for a node on another machine: takes proofs from
                           Redis (BullMQ), needs the artefacts but no key and no RPC
  node pack <dir>          write a compiled model's manifest.json and print its content hash
                           (what a node config's "artefacts" field pins)

Keys come from VERITY_PRIVATE_KEY (or --private-key); RPC URLs from --rpc or VERITY_RPC_URL.

Examples:
  verity dev --once
  verity compile models/credit/credit.onnx --out build/credit --calibration models/credit/calibration.json
  verity prove build/credit --input input.json --out proof.json && verity verify build/credit proof.json
  VERITY_PRIVATE_KEY=0x… verity deploy --rpc https://rpc.sepolia.org --out sepolia.json
  VERITY_PRIVATE_KEY=0x… verity register build/credit --name credit-score --fee 0.001 --deployment sepolia.json
  VERITY_PRIVATE_KEY=0x… verity register --agreed --name film-critic --fee 0.001 --labels yes,no --instructions "Did the critics love it?" --deployment sepolia.json
  VERITY_PRIVATE_KEY=0x… verity request 0x<modelId> --input input.json --model-dir build/credit --deployment sepolia.json
  VERITY_PRIVATE_KEY=0x… verity node stake --stake 1 --name my-node --deployment sepolia.json
  VERITY_PRIVATE_KEY=0x… verity node serve 0x<modelId> --deployment sepolia.json
  VERITY_PRIVATE_KEY=0x… verity node start --config node.json
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'dev': {
      const { values } = parseArgs({ args: rest, options: { once: { type: 'boolean' }, rpc: { type: 'string' }, nodes: { type: 'string' }, 'explorer-port': { type: 'string' }, deployment: { type: 'string' } } });
      const nodes = values.nodes === undefined ? 3 : Number(values.nodes);
      if (!Number.isInteger(nodes) || nodes < 3 || nodes > MAX_DEV_NODES) throw new UsageError(`--nodes takes 3 to ${MAX_DEV_NODES} (one anvil key each; agreed mode needs a committee of 3)`);
      await dev({ once: values.once ?? false, nodes, rpc: values.rpc ?? process.env.VERITY_RPC_URL, explorerPort: values['explorer-port'] ? Number(values['explorer-port']) : undefined, deployment: values.deployment ?? 'deployment.json' });
      return 0;
    }
    case 'deploy': {
      const { values } = parseArgs({
        args: rest,
        options: {
          rpc: { type: 'string' }, out: { type: 'string' }, 'private-key': { type: 'string' }, 'min-stake': { type: 'string' },
          'admin-delay': { type: 'string' }, unbonding: { type: 'string' }, 'upgrade-delay': { type: 'string' }, windows: { type: 'string' },
        },
      });
      const rpc = values.rpc ?? process.env.VERITY_RPC_URL;
      if (!rpc) throw new UsageError('verity deploy --rpc URL [--out deployment.json] [--min-stake ETH] [--admin-delay 8d] [--unbonding 7d] [--upgrade-delay 2d] [--windows propose,commit,reveal,appeal]');
      await deployCommand({
        rpc, out: values.out ?? 'deployment.json', privateKey: values['private-key'], minStake: values['min-stake'], log: console.log,
        adminDelay: values['admin-delay'], unbonding: values.unbonding, upgradeDelay: values['upgrade-delay'], windows: values.windows,
      });
      return 0;
    }
    case 'explorer': {
      const { values } = parseArgs({ args: rest, options: { deployment: { type: 'string' }, rpc: { type: 'string' }, port: { type: 'string' } } });
      await explorerCommand({ deployment: values.deployment ?? 'deployment.json', rpc: values.rpc, port: values.port ? Number(values.port) : undefined, log: console.log });
      return 0;
    }
    case 'register': {
      const { values, positionals } = parseArgs({
        args: rest, allowPositionals: true,
        options: {
          name: { type: 'string' }, fee: { type: 'string' }, deployment: { type: 'string' }, rpc: { type: 'string' }, 'private-key': { type: 'string' },
          'allow-dev-setup': { type: 'boolean' }, agreed: { type: 'boolean' }, criterion: { type: 'string' }, labels: { type: 'string' }, instructions: { type: 'string' }, commitment: { type: 'string' }, tolerance: { type: 'string' },
        },
      });
      const usage = 'verity register <compiled dir> --name NAME --fee ETH [--deployment FILE] | register --agreed --name NAME --fee ETH --instructions TEXT [--labels a,b]';
      if (!values.name || !values.fee || (values.agreed ? positionals.length !== 0 || !values.instructions : positionals.length !== 1)) throw new UsageError(usage);
      await registerCommand({
        deployment: values.deployment ?? 'deployment.json', rpc: values.rpc, privateKey: values['private-key'], name: values.name, fee: values.fee, log: console.log,
        dir: positionals[0], allowDevSetup: values['allow-dev-setup'],
        agreed: values.agreed ? { criterion: values.criterion ?? 'Label', labels: values.labels, instructions: values.instructions!, commitment: values.commitment, tolerance: values.tolerance } : undefined,
      });
      return 0;
    }
    case 'request': {
      const { values, positionals } = parseArgs({
        args: rest, allowPositionals: true,
        options: {
          deployment: { type: 'string' }, rpc: { type: 'string' }, 'private-key': { type: 'string' }, input: { type: 'string' }, 'model-dir': { type: 'string' },
          bytes: { type: 'string' }, text: { type: 'string' }, value: { type: 'string' }, 'no-wait': { type: 'boolean' }, timeout: { type: 'string' }, version: { type: 'string' },
        },
      });
      if (positionals.length !== 1) throw new UsageError('verity request <modelId> (--input FILE --model-dir DIR | --bytes 0x… | --text "…") [--deployment FILE] [--value ETH] [--version N] [--no-wait]');
      if (values.version !== undefined && !/^[1-9]\d*$/.test(values.version)) throw new UsageError(`--version takes a model version (1, 2, …); got "${values.version}"`);
      await requestCommand({
        deployment: values.deployment ?? 'deployment.json', rpc: values.rpc, privateKey: values['private-key'], modelId: positionals[0]!, log: console.log,
        input: values.input, modelDir: values['model-dir'], bytes: values.bytes, text: values.text, value: values.value, wait: !values['no-wait'],
        timeoutS: values.timeout ? Number(values.timeout) : undefined, version: values.version === undefined ? undefined : Number(values.version),
      });
      return 0;
    }
    case 'compile': {
      const { values, positionals } = parseArgs({
        args: rest, allowPositionals: true,
        options: { out: { type: 'string' }, calibration: { type: 'string' }, 'input-bits': { type: 'string' }, 'weight-bits': { type: 'string' }, weights: { type: 'string' }, batch: { type: 'string' }, aggregate: { type: 'string' }, input: { type: 'string' }, shard: { type: 'string' } },
      });
      if (values.shard !== undefined && !(Number.isInteger(Number(values.shard)) && Number(values.shard) > 0)) throw new UsageError('--shard takes a positive number of constraints');
      if (values.aggregate && values.aggregate !== 'mean') throw new UsageError('--aggregate takes mean');
      if (values.input && !['committed', 'public', 'private'].includes(values.input)) throw new UsageError('--input takes committed, public or private');
      if (positionals.length !== 1 || !values.out) throw new UsageError('verity compile <model.onnx> --out <dir> [--calibration <input.json>]');
      if (values.weights && !['constant', 'committed', 'signals'].includes(values.weights)) throw new UsageError('--weights takes constant, committed or signals');
      if (!values.calibration) console.error(syntheticCalibrationWarning());
      const started = performance.now();
      const report = await compileModel(readFileSync(positionals[0]!), {
        out: values.out,
        calibration: values.calibration ? readSamplesFile(readFileSync(values.calibration, 'utf8')) : undefined,
        inputBits: values['input-bits'] ? Number(values['input-bits']) : undefined,
        weightBits: values['weight-bits'] ? Number(values['weight-bits']) : undefined,
        weights: values.weights as 'constant' | 'committed' | 'signals' | undefined,
        batch: values.batch ? Number(values.batch) : undefined,
        aggregate: values.aggregate as 'mean' | undefined,
        input: values.input as 'committed' | 'public' | 'private' | undefined,
        shard: values.shard ? Number(values.shard) : undefined,
        progress: (e) => console.error(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${e.phase}${e.percent !== undefined ? ` ${e.percent}%` : ''}`),
      });
      console.log(`compiled ${positionals[0]} -> ${values.out}: ${report.constraints} constraints (${Object.entries(report.constraintsByPart).map(([k, v]) => `${k} ${v}`).join(', ')})`);
      if (report.shards) console.log(`compiled in ${report.shards.parts} parts (${report.shards.constraintsPerPart.join(', ')} constraints) linked into one circuit`);
      if (report.accuracy) console.log(`calibration: max abs error ${report.accuracy.maxAbsError.toPrecision(3)} over output range ${report.accuracy.outputRange.toPrecision(3)}, top-1 agreement ${(report.accuracy.top1Agreement * 100).toFixed(1)}%`);
      console.log(report.setup.note);
      if (report.quantization.calibration === 'synthetic') console.error(syntheticCalibrationWarning(report.quantization.inputRange));
      return 0;
    }
    case 'prove': {
      const { values, positionals } = parseArgs({
        args: rest, allowPositionals: true,
        options: { input: { type: 'string' }, out: { type: 'string' }, witness: { type: 'string' }, binding: { type: 'string' }, clamp: { type: 'boolean' }, backend: { type: 'string' } },
      });
      if (positionals.length !== 1 || !values.input || !values.out) throw new UsageError('verity prove <dir> --input <input.json> --out <proof.json> [--witness <w.wtns>] [--clamp] [--backend native|snarkjs|auto]');
      const prover = await Prover.load(positionals[0]!, { backend: values.backend as BackendChoice | undefined });
      const started = performance.now();
      const proof = await prover.prove({ input: readInputFile(readFileSync(values.input, 'utf8')), clamp: values.clamp }, BigInt(values.binding ?? '0'), { witnessFile: values.witness });
      writeFileSync(values.out, JSON.stringify(proof, null, 1));
      if (proof.clamped && proof.clamped.length > 0) {
        const [lo, hi] = inputRange(prover.compiled.model);
        console.error(`warning: --clamp saturated ${proof.clamped.length} feature(s) to the model's input range [${lo}, ${hi}]: ${proof.clamped.map((c) => `feature ${c.index} ${c.value} -> ${c.clampedTo}`).join(', ')}; the proof is of the clamped input`);
      }
      console.log(`proved in ${(performance.now() - started).toFixed(0)} ms -> ${values.out}; outputs ${JSON.stringify(proof.outputs)}`);
      return 0;
    }
    case 'verify': {
      const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {} });
      if (positionals.length !== 2) throw new UsageError('verity verify <dir> <proof.json>');
      const answer = await verifyProof(positionals[0]!, readProofFile(positionals[1]!));
      if (!answer) {
        console.log('INVALID');
        return 1;
      }
      // Printed from the verified public signals, never from the file's own outputs field.
      console.log('valid');
      console.log(`outputs ${JSON.stringify(answer.outputs)} (integers [${answer.outputIntegers.join(', ')}]), binding ${answer.binding}`);
      return 0;
    }
    case 'node': {
      const [sub, ...args] = rest;
      if (sub === 'stake') {
        const o = parseArgs({ args, options: { stake: { type: 'string' }, name: { type: 'string' }, 'api-url': { type: 'string' }, deployment: { type: 'string' }, rpc: { type: 'string' }, 'private-key': { type: 'string' } } }).values;
        if (!o.stake || !o.name) throw new UsageError('verity node stake --stake ETH --name NAME [--api-url URL] [--deployment FILE]');
        await stakeCommand({ deployment: o.deployment ?? 'deployment.json', rpc: o.rpc, privateKey: o['private-key'], stake: o.stake, name: o.name, apiUrl: o['api-url'], log: console.log });
        return 0;
      }
      if (sub === 'serve' || sub === 'stop-serving') {
        const { values: o, positionals: models } = parseArgs({ args, allowPositionals: true, options: { deployment: { type: 'string' }, rpc: { type: 'string' }, 'private-key': { type: 'string' } } });
        if (models.length === 0) throw new UsageError(`verity node ${sub} <modelId>... [--deployment FILE]`);
        await serveCommand({ deployment: o.deployment ?? 'deployment.json', rpc: o.rpc, privateKey: o['private-key'], models, stop: sub === 'stop-serving', log: console.log });
        return 0;
      }
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string' } } });
      if (sub === 'start' && values.config) {
        await runNode(loadNodeConfig(values.config));
        return 0;
      }
      if (sub === 'worker' && values.config) {
        await runWorker(loadWorkerConfig(values.config));
        return 0;
      }
      if (sub === 'pack' && positionals.length === 1) {
        console.log(packArtefacts(positionals[0]!));
        return 0;
      }
      throw new UsageError('verity node start --config <node.json> | node stake --stake ETH --name NAME | node serve <modelId>... | node stop-serving <modelId>... | node worker --config <worker.json> | node pack <compiled dir>');
    }
    case 'setup': {
      const [sub, ...args] = rest;
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { name: { type: 'string' }, entropy: { type: 'string' }, ptau: { type: 'string' } } });
      if (sub === 'import-ptau' && positionals.length === 1) {
        const r = await importPtau(positionals[0]!);
        console.log(`verified and installed ${positionals[0]} (2^${r.power} points) as ${r.path}; compiles up to 2^${r.power} constraints now use it`);
        return 0;
      }
      if (sub === 'contribute' && positionals.length === 1 && values.name) {
        const r = await contribute(positionals[0]!, { name: values.name, entropy: values.entropy });
        console.log(`contribution #${r.contributions} by ${values.name}: ${r.hash}`);
        console.log('Publish this hash, destroy your entropy, and pass the directory to the next participant. Register the model after the last contribution.');
        return 0;
      }
      if (sub === 'verify' && positionals.length === 1) {
        const dir = positionals[0]!;
        const report = loadCompiled(dir).report;
        const ptau = values.ptau ?? ceremonyPtau(report.setup.ptauPower) ?? (await devPowersOfTau(report.setup.ptauPower));
        const r = await verifySetup(dir, ptau);
        for (const line of r.log) console.log(line);
        console.log(r.ok ? `setup of ${dir} verified against ${ptau}` : `setup of ${dir} does NOT verify against ${ptau}`);
        return r.ok ? 0 : 1;
      }
      throw new UsageError('verity setup import-ptau <file.ptau> | contribute <dir> --name NAME [--entropy TEXT] | verify <dir> [--ptau FILE]');
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(HELP);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

/** The command line itself is wrong. */
class UsageError extends BaseError {
  override name = 'UsageError';
  constructor(usage: string) {
    super(`usage: ${usage}`, { details: 'Run `verity --help` for every command.' });
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof BaseError) {
      console.error(`error: ${e.name}: ${e.shortMessage}${e.details ? `\n${e.details}` : ''}`);
    } else if (e instanceof ViemBaseError) {
      // A chain the command could not reach or a transaction it could not send: viem's one-line summary.
      const revert = decodeRevert(e);
      console.error(revert instanceof BaseError ? `error: ${revert.name}: ${revert.shortMessage}` : `error: ${e.shortMessage}${e.details ? `\n${e.details}` : ''}`);
    } else if (e && typeof e === 'object' && 'code' in e && String((e as { code: string }).code).startsWith('ERR_PARSE_ARGS')) {
      // An unknown or malformed option: node's own message names it.
      console.error(`error: UsageError: ${(e as unknown as Error).message.split('. To specify')[0]}\nRun \`verity --help\` for every command.`);
    } else if (e && typeof e === 'object' && 'code' in e && (e as { code: string }).code === 'ENOENT') {
      console.error(`error: file not found: ${(e as { path?: string }).path}`);
    } else {
      console.error(e);
    }
    process.exit(2);
  },
);
