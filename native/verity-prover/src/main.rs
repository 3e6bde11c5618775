//! `verity-prover`: serves `protocol` requests on stdin/stdout until stdin closes.
//! `verity-prover --kinds` prints the error kinds as a JSON array.
use verity_prover::{protocol, ProverError};

fn main() {
    if std::env::args().any(|a| a == "--kinds") {
        println!("{}", serde_json::to_string(&ProverError::KINDS).unwrap());
        return;
    }
    // a panic is answered as an Internal error by the session; keep its backtrace off stdout
    std::panic::set_hook(Box::new(|info| eprintln!("verity-prover: {info}")));
    let (stdin, stdout) = (std::io::stdin(), std::io::stdout());
    if let Err(e) = protocol::serve(stdin.lock(), std::io::BufWriter::new(stdout.lock())) {
        eprintln!("verity-prover: {e}");
        std::process::exit(2);
    }
}
