// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {VerityConsumer} from "../VerityConsumer.sol";
import {ICoprocessor} from "../interfaces/ICoprocessor.sol";

/// @title FraudScreen
/// @notice A shared registry of proved fraud verdicts on tokens. A token's six trade features are
/// computed off chain from its trades (see models/fraud/simulate.ts) by a feature oracle, which
/// signs each snapshot (EIP-712: token, features, asOf). Anyone may pay to screen a token on a
/// signed snapshot: the features go to a proved classifier whose three logits are clean, wash
/// trading and rug pull. Other contracts ask `isFlagged(token)` before listing, lending against
/// or routing through it. Nobody can screen on features of their own making, and a verdict is
/// replaced only by one on a newer snapshot, so a stranger cannot overwrite it.
contract FraudScreen is VerityConsumer, EIP712 {
    enum Verdict {
        Unscreened,
        Clean,
        WashTrading,
        RugPull
    }

    struct Screening {
        Verdict verdict;
        uint64 at;
        bytes32 featuresHash;
        int256[3] logits;
        /// @dev when the feature oracle took the snapshot the verdict is on
        uint64 asOf;
    }

    struct Pending {
        address token;
        uint64 asOf;
        bytes32 featuresHash;
    }

    bytes32 public constant SNAPSHOT_TYPEHASH = keccak256("Snapshot(address token,bytes features,uint64 asOf)");
    /// @notice A snapshot older than this cannot be screened (no replaying stale features).
    uint64 public constant MAX_SNAPSHOT_AGE = 1 days;
    uint32 public constant CALLBACK_GAS = 200_000;
    bytes32 public immutable modelId;
    /// @notice The feature oracle: the only key whose snapshots are screened.
    address public immutable featureSigner;
    mapping(address => Screening) private screenings;
    mapping(uint256 => Pending) private pendingOf;

    error BadSignature(address token, address signer);
    error SnapshotFromTheFuture(uint64 asOf, uint256 now_);
    error SnapshotTooOld(uint64 asOf, uint256 now_);
    error SnapshotNotNewer(address token, uint64 asOf, uint64 current);

    event ScreenRequested(address indexed token, uint256 indexed requestId, address indexed by);
    event Screened(address indexed token, uint256 indexed requestId, Verdict verdict, int256[3] logits);
    /// @notice An answer on a snapshot no newer than the recorded verdict's: kept out of the registry.
    event ScreeningSuperseded(address indexed token, uint256 indexed requestId, uint64 asOf);

    constructor(ICoprocessor coprocessor_, bytes32 modelId_, address featureSigner_) VerityConsumer(coprocessor_) EIP712("FraudScreen", "1") {
        modelId = modelId_;
        featureSigner = featureSigner_;
    }

    function fee() external view returns (uint256) {
        return coprocessor.quote(modelId, CALLBACK_GAS);
    }

    /// @notice The EIP-712 digest the feature oracle signs for a snapshot.
    function snapshotDigest(address token, bytes calldata features, uint64 asOf) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(SNAPSHOT_TYPEHASH, token, keccak256(features), asOf)));
    }

    /// @notice Screens `token` on a snapshot the feature oracle signed: `features` (the model's 6
    /// input bytes) as of `asOf`. The verdict replaces the recorded one, which is on an older snapshot.
    /// Requirements:
    /// - `signature` is the feature signer's over (token, features, asOf);
    /// - `asOf` is not in the future nor older than `MAX_SNAPSHOT_AGE`;
    /// - `asOf` is later than the snapshot of the recorded verdict;
    /// - `msg.value` covers `fee()`.
    function screen(address token, bytes calldata features, uint64 asOf, bytes calldata signature)
        external
        payable
        returns (uint256 requestId)
    {
        address signer = ECDSA.recover(snapshotDigest(token, features, asOf), signature);
        if (signer != featureSigner) revert BadSignature(token, signer);
        if (asOf > block.timestamp) revert SnapshotFromTheFuture(asOf, block.timestamp);
        if (block.timestamp - asOf > MAX_SNAPSHOT_AGE) revert SnapshotTooOld(asOf, block.timestamp);
        uint64 current = screenings[token].asOf;
        if (asOf <= current) revert SnapshotNotNewer(token, asOf, current);
        requestId = _ask(modelId, features, CALLBACK_GAS, msg.value);
        pendingOf[requestId] = Pending(token, asOf, keccak256(features));
        emit ScreenRequested(token, requestId, msg.sender);
    }

    function _onResult(uint256 requestId, bytes calldata output) internal override {
        Pending memory p = pendingOf[requestId];
        if (p.token == address(0)) revert UnknownRequest(requestId);
        delete pendingOf[requestId];
        // Two screenings in flight: the one on the newer snapshot wins, whatever the order of the answers.
        if (p.asOf <= screenings[p.token].asOf) {
            emit ScreeningSuperseded(p.token, requestId, p.asOf);
            return;
        }
        int256[] memory l = abi.decode(output, (int256[]));
        Verdict v = verdictOf(l[0], l[1], l[2]);
        screenings[p.token] = Screening(v, uint64(block.timestamp), p.featuresHash, [l[0], l[1], l[2]], p.asOf);
        emit Screened(p.token, requestId, v, [l[0], l[1], l[2]]);
    }

    function _onRefunded(uint256 requestId) internal override {
        delete pendingOf[requestId];
    }

    /// @notice The class with the highest logit (ties go to the earlier class: clean first).
    function verdictOf(int256 clean, int256 wash, int256 rug) public pure returns (Verdict) {
        if (clean >= wash && clean >= rug) return Verdict.Clean;
        return wash >= rug ? Verdict.WashTrading : Verdict.RugPull;
    }

    /// @notice True when the latest screening found wash trading or a rug pull.
    function isFlagged(address token) external view returns (bool) {
        Verdict v = screenings[token].verdict;
        return v == Verdict.WashTrading || v == Verdict.RugPull;
    }

    function screeningOf(address token) external view returns (Screening memory) {
        return screenings[token];
    }
}
