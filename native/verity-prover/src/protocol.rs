//! The binary's protocol on stdin/stdout, one request at a time, answered in order.
//! Request: `u32 LE length, JSON header, u32 LE length, payload bytes`;
//! response: `u32 LE length, JSON`. Headers:
//! - `{"op":"load","zkey":path}` → `{"ok":true,"nVars","nPublic","domainSize","threads","ms"}`
//! - `{"op":"prove"}` with a .wtns file as payload → `{"ok":true,"proof","publicSignals","ms"}`
//! - `{"op":"stats"}` → `{"ok":true,"rssBytes","peakRssBytes"}`
//! Failures answer `{"ok":false,"error":{"kind",...}}` (see `ProverError`); the process keeps serving.
use crate::{wtns, Prover, ProverError};
use serde_json::{json, Value};
use std::io::{self, Read, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

fn read_exact_or_eof<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<bool> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..])? {
            0 if got == 0 => return Ok(false),
            0 => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "truncated frame")),
            n => got += n,
        }
    }
    Ok(true)
}

fn read_block<R: Read>(r: &mut R) -> io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    if !read_exact_or_eof(r, &mut len)? {
        return Ok(None);
    }
    let mut buf = vec![0u8; u32::from_le_bytes(len) as usize];
    r.read_exact(&mut buf)?;
    Ok(Some(buf))
}

/// One request: its JSON header and its payload; None at the end of input.
pub fn read_request<R: Read>(r: &mut R) -> io::Result<Option<(Vec<u8>, Vec<u8>)>> {
    let Some(header) = read_block(r)? else { return Ok(None) };
    let payload = read_block(r)?.ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "request without payload"))?;
    Ok(Some((header, payload)))
}

pub fn write_response<W: Write>(w: &mut W, v: &Value) -> io::Result<()> {
    let body = serde_json::to_vec(v)?;
    w.write_all(&(body.len() as u32).to_le_bytes())?;
    w.write_all(&body)?;
    w.flush()
}

fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = |key: &str| status.lines().find(|l| l.starts_with(key)).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0) * 1024;
    (kb("VmRSS:"), kb("VmHWM:"))
}

pub struct Session {
    prover: Option<Prover>,
}

impl Default for Session {
    fn default() -> Self {
        Session { prover: None }
    }
}

impl Session {
    /// Answers one request; a panic inside becomes an `Internal` error.
    pub fn handle(&mut self, header: &[u8], payload: &[u8]) -> Value {
        let result = catch_unwind(AssertUnwindSafe(|| self.dispatch(header, payload))).unwrap_or_else(|panic| {
            let reason = panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_else(|| "panic".into());
            Err(ProverError::Internal { reason })
        });
        match result {
            Ok(mut v) => {
                v["ok"] = json!(true);
                v
            }
            Err(e) => json!({ "ok": false, "error": e.to_json() }),
        }
    }

    fn dispatch(&mut self, header: &[u8], payload: &[u8]) -> Result<Value, ProverError> {
        let req: Value = serde_json::from_slice(header).map_err(|e| ProverError::Protocol { reason: e.to_string() })?;
        let t0 = Instant::now();
        match req["op"].as_str() {
            Some("load") => {
                let path = req["zkey"].as_str().ok_or_else(|| ProverError::Protocol { reason: "load without zkey".into() })?;
                let p = Prover::load(path)?;
                let v = json!({ "nVars": p.n_vars(), "nPublic": p.n_public(), "domainSize": p.domain_size(), "threads": rayon::current_num_threads(), "ms": t0.elapsed().as_secs_f64() * 1e3 });
                self.prover = Some(p);
                Ok(v)
            }
            Some("prove") => {
                let p = self.prover.as_ref().ok_or_else(|| ProverError::Protocol { reason: "prove before load".into() })?;
                let witness = wtns::parse(payload).map_err(|reason| ProverError::WitnessFormat { reason })?;
                let out = p.prove(&witness)?;
                Ok(json!({ "proof": out.proof, "publicSignals": out.public_signals, "ms": t0.elapsed().as_secs_f64() * 1e3 }))
            }
            Some("stats") => {
                let (rss, peak) = memory();
                Ok(json!({ "rssBytes": rss, "peakRssBytes": peak }))
            }
            other => Err(ProverError::Protocol { reason: format!("unknown op {other:?}") }),
        }
    }
}

/// Serves requests until stdin closes.
pub fn serve<R: Read, W: Write>(mut input: R, mut output: W) -> io::Result<()> {
    let mut session = Session::default();
    while let Some((header, payload)) = read_request(&mut input)? {
        let response = session.handle(&header, &payload);
        write_response(&mut output, &response)?;
    }
    Ok(())
}
