//! `verity-prover`: serves `protocol` requests on stdin/stdout until stdin closes.
//! `verity-prover --kinds` prints the error kinds as a JSON array.
//! `verity-prover setup R1CS PTAU ZKEY [--h-tail HEX]` writes the phase-2 key (`setup`).
//! `verity-prover contribute OLD NEW [--name NAME]` adds a contribution, the entropy read from
//! stdin (`contribute`).
//! `verity-prover dev-ptau OUT POWER` writes the insecure dev powers of tau, its secrets
//! (`tau alpha beta`, decimal) read from stdin (`devptau`).
//! All three print progress lines (`progress: <step>`) on stderr and one JSON line on stdout:
//! `{"ok":true,...}`, or `{"ok":false,"error":{kind,...}}` with exit code 1.
use serde_json::{json, Value};
use std::io::Read;
use std::time::Instant;
use ark_bn254::Fr;
use std::str::FromStr;
use verity_prover::contribute::contribute;
use verity_prover::devptau::{write_dev_ptau, Secrets};
use verity_prover::curve::{hex, unhex};
use verity_prover::ptau::Ptau;
use verity_prover::r1cs::R1cs;
use verity_prover::setup::new_zkey;
use verity_prover::{protocol, ProverError};

fn option(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn progress(step: &str) {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let ms = START.get_or_init(Instant::now).elapsed().as_millis();
    eprintln!("progress: {step} ({ms} ms)");
}

/// A `Setup` error naming `file`.
fn err(file: &str) -> impl Fn(String) -> ProverError + '_ {
    move |reason| ProverError::Setup { file: file.to_string(), reason }
}

fn setup(args: &[String]) -> Result<Value, ProverError> {
    let [r1cs_path, ptau_path, out] = [&args[0], &args[1], &args[2]];
    let t0 = Instant::now();
    progress("reading the circuit");
    let r1cs = R1cs::parse(&std::fs::read(r1cs_path).map_err(|e| err(r1cs_path)(e.to_string()))?).map_err(err(r1cs_path))?;
    let mut ptau = Ptau::open(ptau_path).map_err(err(ptau_path))?;
    let tail = option(args, "--h-tail").map(|h| unhex(&h)).transpose().map_err(err("--h-tail"))?;
    let key = new_zkey(r1cs, &mut ptau, out, tail.as_deref(), &mut |s| progress(s)).map_err(err(ptau_path))?;
    Ok(json!({ "csHash": hex(&key.cs_hash), "nVars": key.n_vars, "nPublic": key.n_public, "domainSize": key.domain_size, "ms": t0.elapsed().as_secs_f64() * 1e3 }))
}

fn contribute_cmd(args: &[String]) -> Result<Value, ProverError> {
    let [old, new] = [&args[0], &args[1]];
    let t0 = Instant::now();
    let mut entropy = String::new();
    std::io::stdin().read_to_string(&mut entropy).map_err(|e| err("stdin")(e.to_string()))?;
    if entropy.is_empty() {
        return Err(err("stdin")("no entropy".into()));
    }
    let bytes = std::fs::read(old).map_err(|e| err(old)(e.to_string()))?;
    let name = option(args, "--name").unwrap_or_default();
    let c = contribute(&bytes, new, &name, &entropy, &mut |s| progress(s)).map_err(err(old))?;
    Ok(json!({ "hash": hex(&c.hash), "csHash": hex(&c.cs_hash), "ms": t0.elapsed().as_secs_f64() * 1e3 }))
}

fn dev_ptau(args: &[String]) -> Result<Value, ProverError> {
    let out = &args[0];
    let t0 = Instant::now();
    let power: u32 = args[1].parse().ok().filter(|p| (1..=27).contains(p)).ok_or_else(|| err("POWER")(format!("{} is not a power from 1 to 27", args[1])))?;
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).map_err(|e| err("stdin")(e.to_string()))?;
    let secrets: Vec<Fr> = text.split_whitespace().map(|v| Fr::from_str(v).map_err(|_| err("stdin")(format!("{v} is not a field element")))).collect::<Result<_, _>>()?;
    let [tau, alpha, beta] = secrets[..] else { return Err(err("stdin")("expected three secrets: tau alpha beta".into())) };
    write_dev_ptau(out, power, &Secrets { tau, alpha, beta }, &mut |s| progress(s)).map_err(|e| err(out)(e.to_string()))?;
    Ok(json!({ "power": power, "ms": t0.elapsed().as_secs_f64() * 1e3 }))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--kinds") {
        println!("{}", serde_json::to_string(&ProverError::KINDS).unwrap());
        return;
    }
    // a panic is answered as an Internal error by the session; keep its backtrace off stdout
    std::panic::set_hook(Box::new(|info| eprintln!("verity-prover: {info}")));
    let command: Option<(fn(&[String]) -> Result<Value, ProverError>, usize)> = match args.first().map(String::as_str) {
        Some("setup") => Some((setup, 3)),
        Some("contribute") => Some((contribute_cmd, 2)),
        Some("dev-ptau") => Some((dev_ptau, 2)),
        _ => None,
    };
    if let Some((run, positionals)) = command {
        let rest = &args[1..];
        let result = if rest.len() < positionals {
            Err(ProverError::Protocol { reason: format!("{} needs {positionals} file arguments", args[0]) })
        } else {
            std::panic::catch_unwind(|| run(rest)).unwrap_or_else(|_| Err(ProverError::Internal { reason: "panic".into() }))
        };
        let (line, code) = match result {
            Ok(mut v) => {
                v["ok"] = json!(true);
                (v, 0)
            }
            Err(e) => (json!({ "ok": false, "error": e.to_json() }), 1),
        };
        println!("{line}");
        std::process::exit(code);
    }
    let (stdin, stdout) = (std::io::stdin(), std::io::stdout());
    if let Err(e) = protocol::serve(stdin.lock(), std::io::BufWriter::new(stdout.lock())) {
        eprintln!("verity-prover: {e}");
        std::process::exit(2);
    }
}
