pragma circom 2.1.6;

// Templates shared by every circuit the Verity compiler generates.
// Fixed-point convention: a value v at scale s is the integer round(v * 2^s).

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/multiplexer.circom";

// Range-checks n unsigned input values of `width` bytes each (u - lo in `bits` bits: the
// quantised input's bounds, see io/layout.ts packedRange; 0 and 8 * width for the whole
// width), packs them big-endian `perChunk` values to a field element (the same bytes the
// requester sent on chain), and commits to the packed elements with a Poseidon(8) chain (the
// Coprocessor computes the same with contracts/src/Poseidon8.sol):
//   h_0 = seed, h_{c+1} = Poseidon(h_c, e_{7c}, ..., e_{7c+6}) (missing elements are 0).
// The range checks make packing injective, so the commitment binds every value.
template InputCommit(n, width, perChunk, lo, bits) {
    signal input u[n];
    signal input seed; // 0, or the weight commitment of a model with committed weights
    signal output commitment;
    var nChunks = (n + perChunk - 1) \ perChunk;
    component pack = InputPack(n, width, perChunk, lo, bits);
    for (var i = 0; i < n; i++) { pack.u[i] <== u[i]; }

    var nCalls = (nChunks + 6) \ 7;
    component h[nCalls];
    for (var c = 0; c < nCalls; c++) {
        h[c] = Poseidon(8);
        if (c == 0) {
            h[c].inputs[0] <== seed;
        } else {
            h[c].inputs[0] <== h[c - 1].out;
        }
        for (var j = 0; j < 7; j++) {
            if (c * 7 + j < nChunks) {
                h[c].inputs[j + 1] <== pack.packed[c * 7 + j];
            } else {
                h[c].inputs[j + 1] <== 0;
            }
        }
    }
    commitment <== h[nCalls - 1].out;
}

// Secret weights (--weights committed): signed coefficients and constants, offset to
// unsigned values of wC / wK bytes (the range checks make packing injective), each list
// committed as InputCommit does, and the two commitments hashed together.
template WeightCommit(nC, wC, nK, wK) {
    signal input coefficients[nC];
    signal input constants[nK];
    signal output commitment;
    component a = InputCommit(nC, wC, 31 \ wC, 0, 8 * wC);
    a.seed <== 0;
    for (var i = 0; i < nC; i++) { a.u[i] <== coefficients[i] + 2 ** (8 * wC - 1); }
    component b = InputCommit(nK, wK, 31 \ wK, 0, 8 * wK);
    b.seed <== 0;
    for (var i = 0; i < nK; i++) { b.u[i] <== constants[i] + 2 ** (8 * wK - 1); }
    component h = Poseidon(2);
    h.inputs[0] <== a.commitment;
    h.inputs[1] <== b.commitment;
    commitment <== h.out;
}

// Range-checks n input values of `width` bytes (u - lo in `bits` bits, lo + 2^bits <= 256^width)
// and packs them big-endian, `perChunk` to a field element (the bytes a request carries).
// Public inputs expose these chunks directly.
template InputPack(n, width, perChunk, lo, bits) {
    signal input u[n];
    var nChunks = (n + perChunk - 1) \ perChunk;
    signal output packed[nChunks];

    component range[n];
    for (var i = 0; i < n; i++) {
        range[i] = Num2Bits(bits);
        range[i].in <== u[i] - lo;
        _ <== range[i].out; // the decomposition is the range check; the bits are not needed
    }

    for (var k = 0; k < nChunks; k++) {
        var m = n - k * perChunk;
        if (m > perChunk) { m = perChunk; }
        var acc = 0;
        for (var j = 0; j < m; j++) {
            acc += u[k * perChunk + j] * (256 ** (width * (m - 1 - j)));
        }
        packed[k] <== acc;
    }
}

// ReLU then division by 2^shift (rounded half up), for a signed accumulator with
// |in + 2^(shift-1)| < 2^(B-1). One bit decomposition of the offset value gives both the
// sign (top bit) and the quotient (bits shift..B-2): B + 1 constraints in all.
template ReluRequant(B, shift) {
    signal input in;
    signal output out;
    var round = 0;
    if (shift > 0) { round = 2 ** (shift - 1); }
    component bits = Num2Bits(B);
    bits.in <== in + round + 2 ** (B - 1);
    var q = 0;
    for (var i = 0; i < shift; i++) {
        _ <== bits.out[i]; // the remainder: range-checked by the decomposition, then dropped
    }
    for (var i = shift; i < B - 1; i++) {
        q += bits.out[i] * 2 ** (i - shift);
    }
    out <== bits.out[B - 1] * q;
}

// Division by 2^shift (rounded half up) without activation, signed output:
// out = floor((in + round) / 2^shift), B constraints.
template Requant(B, shift) {
    signal input in;
    signal output out;
    var round = 0;
    if (shift > 0) { round = 2 ** (shift - 1); }
    component bits = Num2Bits(B);
    bits.in <== in + round + 2 ** (B - 1);
    var q = 0;
    for (var i = 0; i < shift; i++) {
        _ <== bits.out[i]; // the remainder: range-checked by the decomposition, then dropped
    }
    for (var i = shift; i < B; i++) {
        q += bits.out[i] * 2 ** (i - shift);
    }
    out <== q - 2 ** (B - 1 - shift);
}

// 1 when in >= 0, else 0, for |in| < 2^(B-1): the top bit of one decomposition (B constraints).
template Sign(B) {
    signal input in;
    signal output out;
    component bits = Num2Bits(B);
    bits.in <== in + 2 ** (B - 1);
    for (var i = 0; i < B - 1; i++) {
        _ <== bits.out[i];
    }
    out <== bits.out[B - 1];
}

// Index of the first maximum of n values whose differences fit B bits. The prover picks a
// one-hot selector (hint); the circuit checks m = sum(sel * in) is at least every value and
// strictly greater than every value before the chosen index. n * (B + 2) constraints.
template ArgMax(n, B) {
    signal input in[n];
    signal output out;
    signal sel[n];
    signal prod[n];
    var best = 0;
    for (var i = 1; i < n; i++) {
        if (in[i] > in[best]) { best = i; }
    }
    var total = 0;
    var m = 0;
    var idx = 0;
    for (var i = 0; i < n; i++) {
        sel[i] <-- i == best ? 1 : 0;
        sel[i] * (sel[i] - 1) === 0;
        prod[i] <== sel[i] * in[i];
        total += sel[i];
        m += prod[i];
        idx += i * sel[i];
    }
    total === 1;
    component ge[n];
    for (var i = 0; i < n; i++) {
        var before = 0;
        for (var j = i + 1; j < n; j++) { before += sel[j]; }
        ge[i] = Num2Bits(B);
        ge[i].in <== m - in[i] - before;
        _ <== ge[i].out;
    }
    out <== idx;
}

// q = floor(num / den) for 0 <= num and 0 < den < 2^rBits, q < 2^qBits:
// num = q * den + r with 0 <= r < den. 1 + 2 * rBits + qBits constraints.
template DivFloor(qBits, rBits) {
    signal input num;
    signal input den;
    signal output q;
    signal r;
    q <-- num \ den;
    r <-- num % den;
    num === q * den + r;
    component rb = Num2Bits(rBits);
    rb.in <== r;
    _ <== rb.out;
    component lt = Num2Bits(rBits);
    lt.in <== den - r - 1;
    _ <== lt.out;
    component qb = Num2Bits(qBits);
    qb.in <== q;
    _ <== qb.out;
}

// 1 when in == 0, else 0 (inverse hint; sound for every field element).
template IsZeroOut() {
    signal input in;
    signal output out;
    signal inv;
    inv <-- in != 0 ? 1 / in : 0;
    out <== 1 - in * inv;
    in * out === 0;
}

// r = floor(2^K / sqrt(in)) for in >= 1: the largest r with r^2 * in <= 2^(2K). r is
// range-checked to rBits, and both 2^(2K) - r^2 in and (r+1)^2 in - 2^(2K) - 1 to slackBits,
// so no product wraps around the field (2 * rBits + bits(in) stays far below 253).
template RSqrt(K, rBits, slackBits) {
    signal input in;
    signal output out;
    var one = 2 ** (2 * K);
    var r = 0;
    for (var i = rBits - 1; i >= 0; i--) {
        var c = r + 2 ** i;
        if (c * c * in <= one) { r = c; }
    }
    out <-- r;
    component rb = Num2Bits(rBits);
    rb.in <== out;
    _ <== rb.out;
    signal r2 <== out * out;
    signal t <== r2 * in;
    signal rv <== out * in;
    component below = Num2Bits(slackBits);
    below.in <== one - t;
    _ <== below.out;
    component above = Num2Bits(slackBits);
    above.in <== t + 2 * rv + in - one - 1;
    _ <== above.out;
}

// Packs n offset-encoded values of `bits` bits each, `perWord` to a field element,
// first value in the lowest bits. Values are already range-checked by Requant.
template PackOutputs(n, bits, perWord) {
    signal input in[n];
    var nWords = (n + perWord - 1) \ perWord;
    signal output out[nWords];
    for (var k = 0; k < nWords; k++) {
        var acc = 0;
        for (var j = 0; j < perWord && k * perWord + j < n; j++) {
            acc += in[k * perWord + j] * 2 ** (bits * j);
        }
        out[k] <== acc;
    }
}

// Makes the request binding part of the R1CS so that the verifying key pins it.
template Bind() {
    signal input binding;
    signal square;
    square <== binding * binding;
}
