# EZKL's side of `npm run bench:peers` (scripts/bench-peers.ts): one ONNX model through EZKL's
# Python API, the steps its documentation lists, timed one by one: gen_settings,
# calibrate_settings, compile_circuit, gen_srs (a dev SRS, cached by size, as Verity's dev
# powers of tau), setup, gen_witness, prove, verify, create_evm_verifier and
# encode_evm_calldata (the TypeScript side deploys the verifier on anvil for gas). Proving runs
# in a fresh process of its own (`prove` below), so its peak memory is the prover's alone.
# Accuracy: EZKL's outputs (from its witnesses) and onnxruntime's on the same samples.
#
# Usage: python ezkl_peer.py model <model.onnx> <calibration.json> <samples.json> <work dir> <srs dir>
#        python ezkl_peer.py prove <witness> <compiled> <pk> <proof> <srs>
# Prints one JSON line on stdout; progress on stderr.
import asyncio
import inspect
import json
import os
import subprocess
import sys
import time

import ezkl
import numpy as np
import onnxruntime


def log(msg):
    print(f"[ezkl] {msg}", file=sys.stderr, flush=True)


def peak_mb():
    """This process's peak resident set (VmHWM: getrusage would carry the parent's over exec)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def run(step, fn, *args, **kwargs):
    """Calls an EZKL function (some are coroutines in recent versions); returns (result, seconds)."""
    async def call():
        result = fn(*args, **kwargs)
        return await result if inspect.isawaitable(result) else result

    t0 = time.perf_counter()
    result = asyncio.run(call())
    seconds = time.perf_counter() - t0
    log(f"{step}: {seconds:.2f} s")
    return result, seconds


def prove_main(witness, compiled, pk, proof, srs):
    _, seconds = run("prove", ezkl.prove, witness, compiled, pk, proof, srs)
    print(json.dumps({"seconds": seconds, "peakMb": peak_mb()}))


def model_main(onnx_path, calibration, samples_path, work, srs_dir):
    os.makedirs(work, exist_ok=True)
    os.makedirs(srs_dir, exist_ok=True)
    path = lambda name: os.path.join(work, name)
    samples = json.load(open(samples_path))
    times = {}

    # The same statement as Verity's: the input bound by a Poseidon hash, the outputs public,
    # the weights constants of the circuit.
    args = ezkl.PyRunArgs()
    args.input_visibility = "hashed"
    args.output_visibility = "public"
    args.param_visibility = "fixed"
    args.variables = [("batch", 1)]
    _, times["gen_settings"] = run("gen_settings", ezkl.gen_settings, onnx_path, path("settings.json"), py_run_args=args)
    _, times["calibrate_settings"] = run("calibrate_settings", ezkl.calibrate_settings, calibration, onnx_path, path("settings.json"), "resources")
    _, times["compile_circuit"] = run("compile_circuit", ezkl.compile_circuit, onnx_path, path("model.compiled"), path("settings.json"))
    settings = json.load(open(path("settings.json")))
    logrows = settings["run_args"]["logrows"]
    srs = os.path.join(srs_dir, f"kzg{logrows}.srs")
    if os.path.exists(srs):
        times["gen_srs"] = 0.0
        log(f"gen_srs: cached {srs}")
    else:
        _, times["gen_srs"] = run("gen_srs", ezkl.gen_srs, srs + ".partial", logrows)
        os.replace(srs + ".partial", srs)
    _, times["setup"] = run("setup", ezkl.setup, path("model.compiled"), path("vk.key"), path("pk.key"), srs)

    # Accuracy: every sample's outputs from EZKL's witness against onnxruntime's.
    session = onnxruntime.InferenceSession(onnx_path)
    input_name = session.get_inputs()[0].name
    shape = [1 if not isinstance(d, int) else d for d in session.get_inputs()[0].shape]
    ort_outputs, ezkl_outputs, witness_s = [], [], []
    for i, x in enumerate(samples):
        data = path(f"input{i}.json")
        json.dump({"input_data": [x]}, open(data, "w"))
        ort_outputs.append(session.run(None, {input_name: np.array(x, dtype=np.float32).reshape(shape)})[0].reshape(-1).tolist())
        _, seconds = run(f"gen_witness {i}", ezkl.gen_witness, data, path("model.compiled"), path(f"witness{i}.json"))
        witness_s.append(seconds)
        rescaled = json.load(open(path(f"witness{i}.json")))["pretty_elements"]["rescaled_outputs"][0]
        ezkl_outputs.append([float(v) for v in rescaled])
    times["gen_witness"] = float(np.median(witness_s))

    # Prove the first sample in a process of its own (time and peak memory are the prover's).
    r = subprocess.run([sys.executable, __file__, "prove", path("witness0.json"), path("model.compiled"), path("pk.key"), path("proof.json"), srs],
                       stdout=subprocess.PIPE, check=True, text=True)
    proved = json.loads(r.stdout.strip().splitlines()[-1])
    times["prove"] = proved["seconds"]
    ok, times["verify"] = run("verify", ezkl.verify, path("proof.json"), path("settings.json"), path("vk.key"), srs)
    if not ok:
        raise SystemExit("EZKL's proof did not verify")
    calldata, _ = run("encode_evm_calldata", ezkl.encode_evm_calldata, path("proof.json"), path("calldata.bytes"))
    # EZKL writes Verifier.sol, then compiles it with a solc it downloads (svm); where
    # binaries.soliditylang.org is out of reach that step fails after the file is written, and
    # the TypeScript side compiles it with the solc npm package, as Verity's verifiers are.
    evm_note = None
    try:
        _, times["create_evm_verifier"] = run("create_evm_verifier", ezkl.create_evm_verifier, path("vk.key"), path("settings.json"), path("Verifier.sol"), path("Verifier.abi"), srs)
    except RuntimeError as e:
        if not os.path.exists(path("Verifier.sol")):
            raise
        evm_note = str(e)
        log(f"create_evm_verifier: Verifier.sol written, its compilation failed: {e}")
    proof = json.load(open(path("proof.json")))
    proof_hex = proof.get("hex_proof") or ""
    print(json.dumps({
        "ezkl": getattr(ezkl, "__version__", None),
        "onnxruntime": onnxruntime.__version__,
        "logrows": logrows,
        "settings": {k: settings["run_args"].get(k) for k in ("input_scale", "param_scale", "lookup_range", "logrows", "input_visibility", "output_visibility", "param_visibility")},
        "times": times,
        "provePeakMb": proved["peakMb"],
        "proofBytes": (len(proof_hex) - 2) // 2 if proof_hex.startswith("0x") else len(bytes(proof.get("proof", []))),
        "instances": sum(len(i) for i in proof.get("instances", [])),
        "calldataBytes": len(calldata),
        "verifier": path("Verifier.sol"),
        "evmNote": evm_note,
        "calldata": path("calldata.bytes"),
        "ortOutputs": ort_outputs,
        "ezklOutputs": ezkl_outputs,
        "pkBytes": os.path.getsize(path("pk.key")),
    }))


if __name__ == "__main__":
    command, rest = sys.argv[1], sys.argv[2:]
    if command == "prove":
        prove_main(*rest)
    elif command == "model":
        model_main(*rest)
    else:
        raise SystemExit(f"unknown command {command}: use model or prove")
    # After a failed create_evm_verifier, EZKL's runtime threads abort the interpreter's
    # finalisation (PyGILState_Release): the result is printed, so end here.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
