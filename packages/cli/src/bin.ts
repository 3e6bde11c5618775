import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BaseError as ViemBaseError } from 'viem';
import { type BackendChoice, ceremonyPtau, compileModel, compileRequestBatch, contribute, describePrecision, MAX_REQUEST_BATCH, devPowersOfTau, importPtau, inputRange, loadCompiled, Prover, readInputFile, readProofFile, readSamplesFile, requestBatchDir, syntheticCalibrationWarning, verifyProof, verifySetup } from '@verity/zkml';
import { loadNodeConfig, loadWorkerConfig, packArtefacts, runNode, runWorker } from '@verity/node';
import { dev, MAX_DEV_NODES } from './dev.js';
import { diagnose, formatDoctor } from './doctor.js';
import { deployCommand, explorerCommand, registerCommand, requestCommand, serveCommand, stakeCommand } from './commands.js';
import { UnknownCommandError, UsageError, userError } from './errors.js';
import { parseBigIntOption, parseIntegerOption, parsePercentOption } from './options.js';
import { helpFor } from './help.js';
import { overview, resolveCommand } from './usage.js';

async function main(argv: string[]): Promise<number> {
  const help = helpFor(argv);
  if (help !== undefined) {
    console.log(help);
    return 0;
  }
  const [command, ...rest] = argv;
  switch (command) {
    case 'dev': {
      const { values } = parseArgs({ args: rest, options: { once: { type: 'boolean' }, rpc: { type: 'string' }, nodes: { type: 'string' }, 'explorer-port': { type: 'string' }, deployment: { type: 'string' } } });
      const nodes = values.nodes === undefined ? 3 : Number(values.nodes);
      if (!Number.isInteger(nodes) || nodes < 3 || nodes > MAX_DEV_NODES) throw new UsageError({ command: 'dev', problem: `--nodes takes 3 to ${MAX_DEV_NODES} (one anvil key each; agreed mode needs a committee of 3)` });
      await dev({ once: values.once ?? false, nodes, rpc: values.rpc ?? process.env.VERITY_RPC_URL, explorerPort: values['explorer-port'] ? Number(values['explorer-port']) : undefined, deployment: values.deployment ?? 'deployment.json' });
      return 0;
    }
    case 'doctor': {
      const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean' } } });
      const report = diagnose();
      console.log(values.json ? JSON.stringify(report, null, 2) : formatDoctor(report));
      return report.problems.length === 0 ? 0 : 1;
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
      if (!rpc) throw new UsageError({ command: 'deploy', problem: 'needs --rpc URL (or VERITY_RPC_URL)' });
      await deployCommand({
        rpc, out: values.out ?? 'deployment.json', privateKey: values['private-key'], minStake: values['min-stake'], log: console.log,
        adminDelay: values['admin-delay'], unbonding: values.unbonding, upgradeDelay: values['upgrade-delay'], windows: values.windows,
      });
      return 0;
    }
    case 'explorer': {
      const { values } = parseArgs({ args: rest, options: { deployment: { type: 'string' }, rpc: { type: 'string' }, port: { type: 'string' }, 'model-dir': { type: 'string', multiple: true } } });
      await explorerCommand({
        deployment: values.deployment ?? 'deployment.json', rpc: values.rpc, port: parseIntegerOption('--port', values.port, { min: 0, max: 65_535 }), modelDirs: values['model-dir'] ?? [], log: console.log,
      });
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
      if (!values.name || !values.fee) throw new UsageError({ command: 'register', problem: 'needs --name NAME and --fee ETH' });
      if (values.agreed ? positionals.length !== 0 || !values.instructions : positionals.length !== 1) {
        throw new UsageError({ command: 'register', problem: values.agreed ? '--agreed takes --instructions TEXT and no directory' : 'needs one compiled model directory (or --agreed)' });
      }
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
          'dry-run': { type: 'boolean' },
        },
      });
      if (positionals.length !== 1) throw new UsageError({ command: 'request', problem: 'needs one <modelId>' });
      if (values.version !== undefined && !/^[1-9]\d*$/.test(values.version)) throw new UsageError({ command: 'request', problem: `--version takes a model version (1, 2, …); got "${values.version}"` });
      await requestCommand({
        deployment: values.deployment ?? 'deployment.json', rpc: values.rpc, privateKey: values['private-key'], modelId: positionals[0]!, log: console.log,
        input: values.input, modelDir: values['model-dir'], bytes: values.bytes, text: values.text, value: values.value, wait: !values['no-wait'],
        timeoutS: values.timeout ? Number(values.timeout) : undefined, version: values.version === undefined ? undefined : Number(values.version),
        dryRun: values['dry-run'],
      });
      return 0;
    }
    case 'compile': {
      const { values, positionals } = parseArgs({
        args: rest, allowPositionals: true,
        options: { out: { type: 'string' }, calibration: { type: 'string' }, 'input-bits': { type: 'string' }, 'weight-bits': { type: 'string' }, 'activation-bits': { type: 'string' }, tolerance: { type: 'string' }, weights: { type: 'string' }, batch: { type: 'string' }, aggregate: { type: 'string' }, output: { type: 'string' }, input: { type: 'string' }, shard: { type: 'string' }, backend: { type: 'string' }, requests: { type: 'string' } },
      });
      const shard = parseIntegerOption('--shard', values.shard), batch = parseIntegerOption('--batch', values.batch);
      const requests = parseIntegerOption('--requests', values.requests, { min: 2, max: MAX_REQUEST_BATCH });
      const inputBits = parseIntegerOption('--input-bits', values['input-bits'], { allowed: [8, 16] }), weightBits = parseIntegerOption('--weight-bits', values['weight-bits'], { min: 2 });
      const activationBits = parseIntegerOption('--activation-bits', values['activation-bits'], { min: 2 });
      const tolerance = parsePercentOption('--tolerance', values.tolerance);
      if (values.aggregate && values.aggregate !== 'mean') throw new UsageError({ command: 'compile', problem: `--aggregate takes mean; got "${values.aggregate}"` });
      if (values.input && !['committed', 'public', 'private'].includes(values.input)) throw new UsageError({ command: 'compile', problem: `--input takes committed, public or private; got "${values.input}"` });
      if (positionals.length !== 1 || !values.out) throw new UsageError({ command: 'compile', problem: 'needs one <model.onnx> and --out DIR' });
      if (values.weights && !['constant', 'committed', 'signals'].includes(values.weights)) throw new UsageError({ command: 'compile', problem: `--weights takes constant, committed or signals; got "${values.weights}"` });
      if (values.backend && !['circom', 'r1cs'].includes(values.backend)) throw new UsageError({ command: 'compile', problem: `--backend takes circom or r1cs; got "${values.backend}"` });
      if (!values.calibration) console.error(syntheticCalibrationWarning());
      const started = performance.now();
      const report = await compileModel(readFileSync(positionals[0]!), {
        out: values.out,
        calibration: values.calibration ? readSamplesFile(readFileSync(values.calibration, 'utf8')) : undefined,
        inputBits,
        weightBits,
        activationBits,
        tolerance,
        weights: values.weights as 'constant' | 'committed' | 'signals' | undefined,
        batch,
        aggregate: values.aggregate as 'mean' | undefined,
        output: values.output,
        input: values.input as 'committed' | 'public' | 'private' | undefined,
        shard,
        backend: values.backend as 'circom' | 'r1cs' | undefined,
        progress: (e) => console.error(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${e.phase}${e.percent !== undefined ? ` ${e.percent}%` : ''}`),
      });
      console.log(`compiled ${positionals[0]} -> ${values.out}: ${report.constraints} constraints (${Object.entries(report.constraintsByPart).map(([k, v]) => `${k} ${v}`).join(', ')})`);
      if (report.shards) console.log(`compiled in ${report.shards.parts} parts (${report.shards.constraintsPerPart.join(', ')} constraints) linked into one circuit`);
      if (report.precision) console.log(`precision: ${describePrecision(report.precision)}: the cheapest of ${report.precision.trials.length} tried within --tolerance ${values.tolerance}% (largest calibration error ${(report.precision.calibrationError * 100).toFixed(2)}% of the output range)`);
      if (report.accuracy) console.log(`calibration: max abs error ${report.accuracy.maxAbsError.toPrecision(3)} over output range ${report.accuracy.outputRange.toPrecision(3)}, top-1 agreement ${(report.accuracy.top1Agreement * 100).toFixed(1)}%`);
      if (requests !== undefined) {
        const k = await compileRequestBatch(values.out, { k: requests, progress: (e) => console.error(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${e.phase}`) });
        console.log(`request batches: up to ${k.k} requests in one proof -> ${requestBatchDir(values.out, k.k)}: ${k.constraints} constraints, ${k.layout.publicSignals} public signals (expected verification gas ${k.verifier.expectedVerifyGas}); register it with ModelRegistry.setRequestBatchVerifier`);
      }
      console.log(report.setup.note);
      if (report.quantization.calibration === 'synthetic') console.error(syntheticCalibrationWarning(report.quantization.inputRange));
      return 0;
    }
    case 'prove': {
      const { values, positionals } = parseArgs({
        args: rest, allowPositionals: true,
        options: { input: { type: 'string' }, out: { type: 'string' }, witness: { type: 'string' }, binding: { type: 'string' }, clamp: { type: 'boolean' }, backend: { type: 'string' } },
      });
      if (positionals.length !== 1 || !values.input || !values.out) throw new UsageError({ command: 'prove', problem: 'needs one compiled model directory, --input FILE and --out FILE' });
      const binding = parseBigIntOption('--binding', values.binding ?? '0');
      const prover = await Prover.load(positionals[0]!, { backend: values.backend as BackendChoice | undefined });
      const started = performance.now();
      const proof = await prover.prove({ input: readInputFile(readFileSync(values.input, 'utf8')), clamp: values.clamp }, binding, { witnessFile: values.witness });
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
      if (positionals.length !== 2) throw new UsageError({ command: 'verify', problem: 'needs a compiled model directory and a proof file' });
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
        if (!o.stake || !o.name) throw new UsageError({ command: 'node stake', problem: 'needs --stake ETH and --name NAME' });
        await stakeCommand({ deployment: o.deployment ?? 'deployment.json', rpc: o.rpc, privateKey: o['private-key'], stake: o.stake, name: o.name, apiUrl: o['api-url'], log: console.log });
        return 0;
      }
      if (sub === 'serve' || sub === 'stop-serving') {
        const { values: o, positionals: models } = parseArgs({ args, allowPositionals: true, options: { deployment: { type: 'string' }, rpc: { type: 'string' }, 'private-key': { type: 'string' } } });
        if (models.length === 0) throw new UsageError({ command: `node ${sub}`, problem: 'needs at least one <modelId>' });
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
      throw subcommandMistake('node', sub, { start: 'needs --config FILE', worker: 'needs --config FILE', pack: 'needs one compiled model directory' });
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
      throw subcommandMistake('setup', sub, { 'import-ptau': 'needs one .ptau file', contribute: 'needs one compiled model directory and --name NAME', verify: 'needs one compiled model directory' });
    }
    case undefined:
      console.log(overview());
      return 2;
    default:
      throw new UnknownCommandError({ command });
  }
}

/** A group's subcommand the switch did not run: unknown, missing, or short of its arguments (`needs`). */
function subcommandMistake(group: 'node' | 'setup', sub: string | undefined, needs: Record<string, string>): Error {
  const entry = resolveCommand([group, sub ?? '']);
  if ('unknown' in entry && sub) return new UnknownCommandError({ command: entry.unknown });
  if ('command' in entry) return new UsageError({ command: entry.command, problem: needs[sub!] ?? 'missing arguments' });
  return new UsageError({ command: group, problem: 'takes a subcommand' });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    // A user mistake is one `error: <Name>: <message>` line (and its details); only a bug shows a stack.
    const shown = userError(e, process.argv.slice(2)) ?? (e instanceof ViemBaseError ? e : undefined);
    if (shown) console.error(`error: ${shown.name}: ${shown.shortMessage}${shown.details ? `\n${shown.details}` : ''}`);
    else console.error(e);
    process.exit(2);
  },
);
