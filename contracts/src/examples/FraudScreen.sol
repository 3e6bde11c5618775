// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {VerityConsumer} from "../VerityConsumer.sol";
import {ICoprocessor} from "../interfaces/ICoprocessor.sol";

/// @title FraudScreen
/// @notice A shared registry of proved fraud verdicts on tokens. Anyone pays to screen a token:
/// its six trade features (computed off chain from its trades, see models/fraud/simulate.ts)
/// go to a proved classifier whose three logits are clean, wash trading and rug pull. Other
/// contracts ask `isFlagged(token)` before listing, lending against or routing through it.
contract FraudScreen is VerityConsumer {
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
    }

    bytes32 public immutable modelId;
    uint32 public constant CALLBACK_GAS = 150_000;
    mapping(address => Screening) private screenings;
    mapping(uint256 => address) private tokenOfRequest;
    mapping(uint256 => bytes32) private featuresOfRequest;

    event ScreenRequested(address indexed token, uint256 indexed requestId, address indexed by);
    event Screened(address indexed token, uint256 indexed requestId, Verdict verdict, int256[3] logits);

    constructor(ICoprocessor coprocessor_, bytes32 modelId_) VerityConsumer(coprocessor_) {
        modelId = modelId_;
    }

    function fee() external view returns (uint256) {
        return coprocessor.quote(modelId, CALLBACK_GAS);
    }

    /// @notice Screens `token` on `features` (the model's 6 input bytes); the verdict replaces any earlier one.
    function screen(address token, bytes calldata features) external payable returns (uint256 requestId) {
        requestId = _ask(modelId, features, CALLBACK_GAS, msg.value);
        tokenOfRequest[requestId] = token;
        featuresOfRequest[requestId] = keccak256(features);
        emit ScreenRequested(token, requestId, msg.sender);
    }

    function _onResult(uint256 requestId, bytes calldata output) internal override {
        address token = tokenOfRequest[requestId];
        if (token == address(0)) revert UnknownRequest(requestId);
        int256[] memory l = abi.decode(output, (int256[]));
        Verdict v = verdictOf(l[0], l[1], l[2]);
        screenings[token] = Screening(v, uint64(block.timestamp), featuresOfRequest[requestId], [l[0], l[1], l[2]]);
        delete tokenOfRequest[requestId];
        delete featuresOfRequest[requestId];
        emit Screened(token, requestId, v, [l[0], l[1], l[2]]);
    }

    function _onRefunded(uint256 requestId) internal override {
        delete tokenOfRequest[requestId];
        delete featuresOfRequest[requestId];
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
