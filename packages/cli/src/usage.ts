// The CLI's usage texts, one entry per command: `verity --help` joins them all, and
// `verity <command> --help` / `verity help <command>` print one.

/** One command's help: its synopsis (what a usage error quotes), its option block and examples. */
export type CommandUsage = {
  /** as typed after `verity`: "compile", "node stake" */
  command: string;
  section: (typeof SECTIONS)[number];
  synopsis: string;
  /** the block `verity --help` shows, indented as there */
  options: string;
  examples?: string[];
};

const SECTIONS = ['Start here', 'Model owners', 'dApp developers', 'Node operators'] as const;

const KEYS = 'Keys come from VERITY_PRIVATE_KEY (or --private-key); RPC URLs from --rpc or VERITY_RPC_URL.';

/** Every command, in the order `verity --help` lists them. */
export const COMMANDS: readonly CommandUsage[] = [
  {
    command: 'dev',
    section: 'Start here',
    synopsis: 'verity dev [--nodes N] [--once] [--rpc URL] [--explorer-port N] [--deployment FILE]',
    options: `  dev                      embedded devnet: anvil, contracts, the example apps' models, 3 staked
                           nodes, the explorer, and a story of six apps asking Verity questions
      --nodes N            start N staked nodes (3 to 7, stakes 1..N ETH, default 3)
      --once               run the story and exit (0 on success)
      --rpc URL            use an existing anvil-like chain (its default accounts) instead of starting anvil
      --explorer-port N    serve the explorer on port N (default: any free port)
      --deployment FILE    where to write the devnet's deployment for verity request and the other
                           commands (default deployment.json; removed when the devnet stops; a file
                           that is not a devnet's deployment is never overwritten)`,
    examples: ['verity dev --once'],
  },
  {
    command: 'doctor',
    section: 'Start here',
    synopsis: 'verity doctor [--json]',
    options: `  doctor                   which proving backend this installation uses and why (native binary
                           found or built, cargo missing, VERITY_PROVER), its threads, the cache
                           directory and its size, Node, cargo, anvil and forge, built contracts;
                           exit 1 only on a problem it names
      --json               the same as one JSON object`,
    examples: ['verity doctor'],
  },
  {
    command: 'compile',
    section: 'Model owners',
    synopsis: 'verity compile <model.onnx> --out DIR [--calibration FILE] [options]',
    options: `  compile <model.onnx>     compile an ONNX model into circuit, keys and verifier (report.json says
                           constraints, accuracy, verification gas and verifier size)
      --out DIR            output directory (required)
      --calibration FILE   sample inputs that choose the fixed-point scales and the input range
                           (without it: random inputs in [-1, 1], so inputs above about 1 or 2 are refused)
      --input-bits N       8 or 16 (default 8)    --weight-bits N (default 12)
      --activation-bits N  bits of a hidden activation's calibrated range (default 16)
      --tolerance PERCENT  choose the cheapest weight and activation widths (at most the ones above)
                           whose largest calibration error is within PERCENT of the output range
      --weights constant|committed|signals
                                   weights as circuit constants (default), secret behind a
                                   Poseidon commitment the registry pins, or private signals (baseline)
      --input committed|public|private   input bound by a Poseidon commitment (default; what
                           the Coprocessor checks), as public signals, or not at all
      --batch K            prove K inferences in one proof (input: K samples concatenated)
      --aggregate mean     with --batch: output only the mean over the batch
      --output NAME        the graph output the proof covers (default: the first, e.g. a
                           scikit-learn classifier's label; --output probabilities for its probabilities)
      --requests K         also compile a request-batch circuit (DIR/requests-K): up to K requests
                           from different senders answered by ONE proof (Coprocessor.fulfillRequests);
                           nodes serving DIR use it once ModelRegistry.setRequestBatchVerifier is set
      --shard N            circom only: constraints per separately compiled part (default 150000):
                           a larger model is compiled in parts and linked into one circuit
      --backend r1cs|circom   who writes the constraint system: Verity itself (default: no circom,
                           no parts, a TypeScript witness; --weights constant or committed) or
                           circom2 (kept for one release; the default with --weights signals or --shard)`,
    examples: ['verity compile models/credit/credit.onnx --out build/credit --calibration models/credit/calibration.json'],
  },
  {
    command: 'prove',
    section: 'Model owners',
    synopsis: 'verity prove <dir> --input FILE --out FILE [--witness FILE] [--binding N] [--clamp] [--backend native|snarkjs|auto]',
    options: `  prove <dir>              prove one inference of a compiled model
      --input FILE         {"input_data": [[...]]} or a JSON array (required)
      --out FILE           proof file (required)   --witness FILE  also write the .wtns
      --binding N          request binding public signal (default 0)
      --clamp              saturate inputs outside the model's range to its bounds (default: refuse
                           them); the proof file lists the clamped features
      --backend native|snarkjs|auto   Groth16 engine (default VERITY_PROVER, else auto:
                           native when built by npm install, else snarkjs)`,
    examples: ['verity prove build/credit --input input.json --out proof.json && verity verify build/credit proof.json'],
  },
  {
    command: 'verify',
    section: 'Model owners',
    synopsis: 'verity verify <dir> <proof.json>',
    options: `  verify <dir> <proof>     check a proof and print the outputs decoded from its public signals: exit 0
                           when valid, 1 when not (a file whose outputs disagree with its signals is refused)`,
  },
  {
    command: 'register',
    section: 'Model owners',
    synopsis: 'verity register <dir> --name NAME --fee ETH [--deployment FILE] | verity register --agreed --name NAME --fee ETH --instructions TEXT [--labels a,b]',
    options: `  register <dir>           deploy a compiled model's verifier and register it in proved mode
      --name NAME --fee ETH        the name (unique per owner) and the fee per request you are paid
      --deployment FILE            written by verity deploy (default deployment.json)
      --allow-dev-setup            register a model with the insecure dev setup on a chain that is not a
                                   devnet (31337, 1337): whoever ran the setup can forge its proofs
                           Refused: a model compiled with --weights signals (nothing pins its weights)
  register --agreed        register a model too big to prove: a staked committee answers it
      --name NAME --fee ETH --instructions TEXT
      --criterion Exact|Numeric|Label|Comparative  (default Label)   --labels a,b,c
      --tolerance N (Numeric)      --commitment TEXT  what validators run (hashed; default the name)`,
    examples: [
      'VERITY_PRIVATE_KEY=0x… verity register build/credit --name credit-score --fee 0.001 --deployment sepolia.json',
      'VERITY_PRIVATE_KEY=0x… verity register --agreed --name film-critic --fee 0.001 --labels yes,no --instructions "Did the critics love it?" --deployment sepolia.json',
    ],
  },
  {
    command: 'setup import-ptau',
    section: 'Model owners',
    synopsis: 'verity setup import-ptau <file.ptau>',
    options: '  setup import-ptau FILE   verify a public ceremony\'s prepared .ptau and use it for compiles',
  },
  {
    command: 'setup contribute',
    section: 'Model owners',
    synopsis: 'verity setup contribute <dir> --name NAME [--entropy TEXT]',
    options: '  setup contribute <dir>   add a phase-2 contribution (--name NAME [--entropy TEXT])',
  },
  {
    command: 'setup verify',
    section: 'Model owners',
    synopsis: 'verity setup verify <dir> [--ptau FILE]',
    options: `  setup verify <dir>       check the proving key against the circuit, the ptau and every
                           contribution (exit 0/1; --ptau FILE to name the ptau)`,
  },
  {
    command: 'deploy',
    section: 'dApp developers',
    synopsis: 'verity deploy --rpc URL [--out deployment.json] [--min-stake ETH] [--admin-delay 8d] [--unbonding 7d] [--upgrade-delay 2d] [--windows propose,commit,reveal,appeal]',
    options: `  deploy --rpc URL         deploy the contracts (Coprocessor, registries, Committee) to any EVM chain
      --out FILE           where to write the addresses (default deployment.json)
      --min-stake ETH      stake a node needs (default 1)
      --admin-delay D      how long every admin change waits between scheduling and taking
                           effect (default 8d; durations: 3600, 90s, 30m, 1h, 7d)
      --unbonding D        how long an operator's unbonded stake stays slashable (default 7d);
                           off a devnet --admin-delay must be longer, so operators can leave first
      --upgrade-delay D    how long a model update waits before requests use it (default 2d)
      --windows P,C,R,A    the agreed-mode committee's propose, commit, reveal and appeal windows
                           (default 60s,60s,60s,5m; an agreed answer is final only after the appeal window)`,
    examples: ['VERITY_PRIVATE_KEY=0x… verity deploy --rpc https://rpc.sepolia.org --out sepolia.json'],
  },
  {
    command: 'explorer',
    section: 'dApp developers',
    synopsis: 'verity explorer [--deployment FILE] [--rpc URL] [--port N] [--model-dir DIR]...',
    options: `  explorer                 serve the explorer for a deployment (--deployment FILE, --port N)
      --model-dir DIR      a compiled model's directory (repeatable): the explorer shows its
                           constraints and accuracy from report.json; models in verity's compile
                           cache (~/.cache/verity) are found without it, the example apps' with their labels`,
  },
  {
    command: 'request',
    section: 'dApp developers',
    synopsis: 'verity request <modelId> (--input FILE --model-dir DIR | --bytes 0x… | --text "…") [--deployment FILE] [--value ETH] [--version N] [--no-wait] [--timeout S] [--dry-run]',
    options: `  request <modelId>        send one request from your account and print the answer
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
      --dry-run            print the fee, the request's simulated gas and the expected gas of
                           its answer (one proof or a batch's share; a committee's transactions),
                           and send nothing
      --deployment FILE    (default deployment.json)`,
    examples: ['VERITY_PRIVATE_KEY=0x… verity request 0x<modelId> --input input.json --model-dir build/credit --deployment sepolia.json'],
  },
  {
    command: 'node stake',
    section: 'Node operators',
    synopsis: 'verity node stake --stake ETH --name NAME [--api-url URL] [--deployment FILE]',
    options: `  node stake --stake ETH --name NAME
                           stake the key's account in the NodeRegistry (or add to its stake)
      --api-url URL        where your node can be reached (metadata)   --deployment FILE`,
    examples: ['VERITY_PRIVATE_KEY=0x… verity node stake --stake 1 --name my-node --deployment sepolia.json'],
  },
  {
    command: 'node serve',
    section: 'Node operators',
    synopsis: 'verity node serve <modelId>... [--deployment FILE]',
    options: `  node serve <modelId>...  opt in to models: a node is drawn for (and may fulfil) only the
                           models it serves (at most 16)   --deployment FILE`,
    examples: ['VERITY_PRIVATE_KEY=0x… verity node serve 0x<modelId> --deployment sepolia.json'],
  },
  {
    command: 'node stop-serving',
    section: 'Node operators',
    synopsis: 'verity node stop-serving <modelId>... [--deployment FILE]',
    options: '  node stop-serving <modelId>...   opt out (stop the node\'s work on them first)',
  },
  {
    command: 'node start',
    section: 'Node operators',
    synopsis: 'verity node start --config <node.json>',
    options: `  node start --config FILE run a node (proved and/or agreed mode; SQLite job store, /health,
                           /metrics); VERITY_RPC_URL, VERITY_COPROCESSOR, VERITY_STORE,
                           VERITY_STATUS_PORT and VERITY_REDIS_URL override the file; with
                           "proving": {"redis": URL} proofs go to workers`,
    examples: ['VERITY_PRIVATE_KEY=0x… verity node start --config node.json'],
  },
  {
    command: 'node worker',
    section: 'Node operators',
    synopsis: 'verity node worker --config <worker.json>',
    options: `  node worker --config FILE
                           a proving worker for a node on another machine: takes proofs from
                           Redis (BullMQ), needs the artefacts but no key and no RPC`,
  },
  {
    command: 'node pack',
    section: 'Node operators',
    synopsis: 'verity node pack <compiled dir>',
    options: `  node pack <dir>          write a compiled model's manifest.json and print its content hash
                           (what a node config's "artefacts" field pins)`,
  },
];

/** Commands that only group subcommands (`verity node stake`, `verity setup verify`). */
export const GROUPS: readonly string[] = ['node', 'setup'];

/**
 * The command `argv` names, a group named alone, or the unknown word.
 *
 * @example
 * resolveCommand(['node', 'stake', '--stake', '1']) // the "node stake" entry
 * resolveCommand(['node', '--help']) // { group: 'node' }
 * resolveCommand(['bogus']) // { unknown: 'bogus' }
 */
export function resolveCommand(argv: readonly string[]): CommandUsage | { group: string } | { unknown: string } {
  const [first = '', second] = argv;
  if (GROUPS.includes(first)) {
    if (second === undefined || second.startsWith('-')) return { group: first };
    return usageOf(`${first} ${second}`) ?? { unknown: `${first} ${second}` };
  }
  return usageOf(first) ?? { unknown: first };
}

/** `verity node stake|serve|… …` for a group, undefined for anything else. */
export function groupSynopsis(group: string): string | undefined {
  if (!GROUPS.includes(group)) return undefined;
  return `verity ${group} ${COMMANDS.filter((c) => c.command.startsWith(`${group} `)).map((c) => c.command.slice(group.length + 1)).join('|')} …`;
}

/** The usage entry for `command` ("node stake"), if there is such a command. */
export function usageOf(command: string): CommandUsage | undefined {
  return COMMANDS.find((c) => c.command === command);
}

/** Whether the command sends transactions or reads a chain (then keys and RPC URLs matter). */
const usesChain = (c: CommandUsage) => /--rpc|--deployment|--config/.test(`${c.synopsis}\n${c.options}`);

const examplesOf = (commands: readonly CommandUsage[]) => commands.flatMap((c) => c.examples ?? []).map((e) => `  ${e}`);

/**
 * What `verity --help` prints: every command's options by section, then the examples.
 *
 * @example
 * console.log(overview())
 */
export function overview(): string {
  const sections = SECTIONS.map((s) => `${s}\n${COMMANDS.filter((c) => c.section === s).map((c) => c.options).join('\n')}`);
  return `verity: a verifiable AI co-processor for EVM chains

Usage: verity <command> [options]      verity <command> --help   (or verity help <command>) for one command

${sections.join('\n\n')}

${KEYS}

Examples:
${examplesOf(COMMANDS).join('\n')}
`;
}

/**
 * What `verity <command> --help` prints: the command's synopsis, options and examples (a group:
 * each of its subcommands).
 *
 * @example
 * console.log(commandHelp(resolveCommand(['node', 'stake'])))
 */
export function commandHelp(entry: CommandUsage | { group: string }): string {
  const entries = 'group' in entry ? COMMANDS.filter((c) => c.command.startsWith(`${entry.group} `)) : [entry];
  const examples = examplesOf(entries);
  return [
    `Usage: ${entries.map((c) => c.synopsis).join('\n       ')}`,
    '',
    entries.map((c) => c.options).join('\n'),
    ...(entries.some(usesChain) ? ['', KEYS] : []),
    ...(examples.length > 0 ? ['', 'Examples:', ...examples] : []),
    '',
  ].join('\n');
}
