// Minimal types for the untyped JavaScript libraries the project calls.

declare module 'snarkjs' {
  type Logger = { warn(m: string): void; info(m: string): void; error(m: string): void; debug(m: string): void };
  type FileRef = string | { type: 'mem'; data?: Uint8Array };
  type Proof = { pi_a: string[]; pi_b: string[][]; pi_c: string[]; protocol: string; curve: string };
  export const groth16: {
    fullProve(input: Record<string, unknown>, wasm: FileRef, zkey: FileRef): Promise<{ proof: Proof; publicSignals: string[] }>;
    prove(zkey: FileRef, witness: FileRef): Promise<{ proof: Proof; publicSignals: string[] }>;
    verify(vk: unknown, publicSignals: readonly string[], proof: unknown): Promise<boolean>;
    exportSolidityCallData(proof: unknown, publicSignals: readonly string[]): Promise<string>;
  };
  export const powersOfTau: {
    newAccumulator(curve: unknown, power: number, file: string): Promise<unknown>;
    contribute(oldFile: string, newFile: string, name: string, entropy: string): Promise<unknown>;
    preparePhase2(oldFile: string, newFile: string): Promise<unknown>;
    verify(file: string, logger?: Logger): Promise<boolean>;
  };
  export const zKey: {
    newZKey(r1cs: string, ptau: string, zkey: string, logger?: Logger): Promise<unknown>;
    contribute(oldZkey: string, newZkey: string, name: string, entropy: string, logger?: Logger): Promise<Uint8Array>;
    verifyFromR1cs(r1cs: string, ptau: string, zkey: string, logger?: Logger): Promise<boolean>;
    verifyFromInit(initZkey: string, ptau: string, zkey: string, logger?: Logger): Promise<boolean>;
    exportVerificationKey(zkey: string): Promise<unknown>;
    exportSolidityVerifier(zkey: string, templates: { groth16: string }): Promise<string>;
  };
  export const r1cs: { info(file: string): Promise<{ nConstraints: number; nVars: number; nOutputs: number; nPubInputs: number; nPrvInputs: number }> };
  export const wtns: {
    calculate(input: Record<string, unknown>, wasm: FileRef, wtns: FileRef): Promise<void>;
    check(r1cs: string, wtns: string, logger?: { warn(m: string): void; info(m: string): void; error(m: string): void; debug(m: string): void }): Promise<boolean>;
  };
}

declare module 'circomlibjs' {
  type Poseidon = ((inputs: bigint[]) => Uint8Array) & { F: { toObject(x: Uint8Array): bigint } };
  export function buildPoseidon(): Promise<Poseidon>;
  export const poseidonContract: { createCode(nInputs: number): string };
}

declare module 'ffjavascript' {
  export function getCurveFromName(name: string, singleThread?: boolean): Promise<unknown>;
  export const utils: { unstringifyBigInts(x: unknown): unknown };
}

declare module 'circom_runtime' {
  export function WitnessCalculatorBuilder(wasm: Uint8Array, options?: unknown): Promise<unknown>;
}
