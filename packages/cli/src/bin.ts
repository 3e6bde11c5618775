import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Hex } from 'viem';
import { BaseError } from '@verity/sdk/errors';
import { ceremonyPtau, compileModel, contribute, devPowersOfTau, importPtau, loadCompiled, Prover, readInputFile, readSamplesFile, verifyProofFile, verifySetup } from '@verity/zkml';
import { loadNodeConfig, loadWorkerConfig, packArtefacts, runNode, runWorker } from '@verity/node';
import { dev, MAX_DEV_NODES } from './dev.js';

const HELP = `verity: a verifiable AI co-processor for EVM chains

Usage: verity <command> [options]

Commands:
  dev                      embedded devnet: anvil, contracts, demo models, nodes, the demo
                           (two proved spam checks, one agreed-mode question to a committee)
      --nodes N            start N staked nodes (stakes 1..N ETH, default 3), each with its own key;
                           agreed mode needs 3 or more
      --once               run the demo and exit (0 on success)
      --rpc URL            use an existing chain instead of starting anvil
      --private-key KEY    account for every role with --rpc (default: anvil's first key)
  compile <model.onnx>     compile an ONNX model into circuit, keys and verifier
      --out DIR            output directory (required)
      --calibration FILE   sample inputs that choose the fixed-point scales
      --input-bits N       8 or 16 (default 8)    --weight-bits N (default 12)
      --weights constant|committed|signals
                                   weights as circuit constants (default), secret behind a
                                   Poseidon commitment the registry pins, or private signals (baseline)
      --input committed|public|private   input bound by a Poseidon commitment (default; what
                           the Coprocessor checks), as public signals, or not at all
      --batch K            prove K inferences in one proof (input: K samples concatenated)
      --aggregate mean     with --batch: output only the mean over the batch
  prove <dir>              prove one inference of a compiled model
      --input FILE         {"input_data": [[...]]} or a JSON array (required)
      --out FILE           proof file (required)   --witness FILE  also write the .wtns
      --binding N          request binding public signal (default 0)
  verify <dir> <proof>     check a proof: exit 0 when valid, 1 when not
  node start --config FILE run a proving node (SQLite job store, /health, /metrics); the key
                           comes from VERITY_PRIVATE_KEY; VERITY_RPC_URL, VERITY_COPROCESSOR,
                           VERITY_STORE, VERITY_STATUS_PORT and VERITY_REDIS_URL override
                           the file; with "proving": {"redis": URL} proofs go to workers
  node worker --config FILE
                           a proving worker for a node on another machine: takes proofs from
                           Redis (BullMQ), needs the artefacts but no key and no RPC
  node pack <dir>          write a compiled model's manifest.json and print its content hash
                           (what a node config's "artefacts" field pins)
  setup import-ptau FILE   verify a public ceremony's prepared .ptau and use it for compiles
  setup contribute <dir>   add a phase-2 contribution (--name NAME [--entropy TEXT])
  setup verify <dir>       check the proving key against the circuit, the ptau and every
                           contribution (exit 0/1; --ptau FILE to name the ptau)

Examples:
  verity dev --once
  verity compile models/spam/spam.onnx --out build/spam --calibration models/spam/calibration.json
  verity prove build/spam --input input.json --out proof.json
  verity verify build/spam proof.json
  VERITY_PRIVATE_KEY=0x… verity node start --config node.json
  VERITY_REDIS_URL=redis://10.0.0.5:6379 verity node worker --config worker.json
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'dev': {
      const { values } = parseArgs({ args: rest, options: { once: { type: 'boolean' }, rpc: { type: 'string' }, 'private-key': { type: 'string' }, nodes: { type: 'string' } } });
      const nodes = values.nodes === undefined ? 3 : Number(values.nodes);
      if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_DEV_NODES) throw new UsageError(`--nodes takes 1 to ${MAX_DEV_NODES} (one anvil key each)`);
      await dev({ once: values.once ?? false, nodes, rpc: values.rpc ?? process.env.VERITY_RPC_URL, privateKey: (values['private-key'] ?? process.env.VERITY_PRIVATE_KEY) as Hex | undefined });
      return 0;
    }
    case 'compile': {
      const { values, positionals } = parseArgs({
        args: rest, allowPositionals: true,
        options: { out: { type: 'string' }, calibration: { type: 'string' }, 'input-bits': { type: 'string' }, 'weight-bits': { type: 'string' }, weights: { type: 'string' }, batch: { type: 'string' }, aggregate: { type: 'string' }, input: { type: 'string' } },
      });
      if (values.aggregate && values.aggregate !== 'mean') throw new UsageError('--aggregate takes mean');
      if (values.input && !['committed', 'public', 'private'].includes(values.input)) throw new UsageError('--input takes committed, public or private');
      if (positionals.length !== 1 || !values.out) throw new UsageError('verity compile <model.onnx> --out <dir> [--calibration <input.json>]');
      if (values.weights && !['constant', 'committed', 'signals'].includes(values.weights)) throw new UsageError('--weights takes constant, committed or signals');
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
        progress: (e) => console.error(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${e.phase}${e.percent !== undefined ? ` ${e.percent}%` : ''}`),
      });
      console.log(`compiled ${positionals[0]} -> ${values.out}: ${report.constraints} constraints (${Object.entries(report.constraintsByPart).map(([k, v]) => `${k} ${v}`).join(', ')})`);
      if (report.accuracy) console.log(`calibration: max abs error ${report.accuracy.maxAbsError.toPrecision(3)} over output range ${report.accuracy.outputRange.toPrecision(3)}, top-1 agreement ${(report.accuracy.top1Agreement * 100).toFixed(1)}%`);
      console.log(report.setup.note);
      return 0;
    }
    case 'prove': {
      const { values, positionals } = parseArgs({
        args: rest, allowPositionals: true,
        options: { input: { type: 'string' }, out: { type: 'string' }, witness: { type: 'string' }, binding: { type: 'string' } },
      });
      if (positionals.length !== 1 || !values.input || !values.out) throw new UsageError('verity prove <dir> --input <input.json> --out <proof.json> [--witness <w.wtns>]');
      const prover = await Prover.load(positionals[0]!);
      const started = performance.now();
      const proof = await prover.prove({ input: readInputFile(readFileSync(values.input, 'utf8')) }, BigInt(values.binding ?? '0'), { witnessFile: values.witness });
      writeFileSync(values.out, JSON.stringify(proof, null, 1));
      console.log(`proved in ${(performance.now() - started).toFixed(0)} ms -> ${values.out}; outputs ${JSON.stringify(proof.outputs)}`);
      return 0;
    }
    case 'verify': {
      const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {} });
      if (positionals.length !== 2) throw new UsageError('verity verify <dir> <proof.json>');
      const ok = await verifyProofFile(positionals[0]!, JSON.parse(readFileSync(positionals[1]!, 'utf8')));
      console.log(ok ? 'valid' : 'INVALID');
      return ok ? 0 : 1;
    }
    case 'node': {
      const [sub, ...args] = rest;
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
      throw new UsageError('verity node start --config <node.json> | node worker --config <worker.json> | node pack <compiled dir>');
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
    } else if (e && typeof e === 'object' && 'code' in e && (e as { code: string }).code === 'ENOENT') {
      console.error(`error: file not found: ${(e as { path?: string }).path}`);
    } else {
      console.error(e);
    }
    process.exit(2);
  },
);
