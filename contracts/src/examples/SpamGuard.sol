// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ICoprocessor} from "../interfaces/ICoprocessor.sol";
import {IVerityConsumer} from "../interfaces/IVerityConsumer.sol";

/// @title SpamGuard
/// @notice A message board that hides posts a proved spam classifier flags. The post's text
/// stays off chain; its hashed bag-of-words features are the model input, committed on chain.
contract SpamGuard is IVerityConsumer {
    struct Post {
        address author;
        bytes32 contentHash;
        uint256 requestId;
        bool classified;
        bool spam;
        int256 hamLogit;
        int256 spamLogit;
    }

    ICoprocessor public immutable coprocessor;
    bytes32 public immutable modelId;
    uint32 public constant CALLBACK_GAS = 200_000;

    Post[] public posts;
    mapping(uint256 => uint256) public postOfRequest;

    error OnlyCoprocessor(address caller);
    error UnknownRequest(uint256 requestId);

    event PostSubmitted(uint256 indexed postId, uint256 indexed requestId, address indexed author, bytes32 contentHash);
    event PostClassified(uint256 indexed postId, bool spam, int256 hamLogit, int256 spamLogit);

    constructor(ICoprocessor coprocessor_, bytes32 modelId_) {
        coprocessor = coprocessor_;
        modelId = modelId_;
    }

    /// @notice The fee `submitPost` must carry.
    function fee() external view returns (uint256) {
        return coprocessor.quote(modelId, CALLBACK_GAS);
    }

    /// @notice Submits a post for classification. Requirements: `msg.value >= fee()`; features match the model.
    function submitPost(bytes32 contentHash, bytes calldata features) external payable returns (uint256 postId, uint256 requestId) {
        requestId = coprocessor.request{value: msg.value}(modelId, features, CALLBACK_GAS);
        postId = posts.length;
        posts.push(Post(msg.sender, contentHash, requestId, false, false, 0, 0));
        postOfRequest[requestId] = postId + 1;
        emit PostSubmitted(postId, requestId, msg.sender, contentHash);
    }

    /// @inheritdoc IVerityConsumer
    function onVerityResult(uint256 requestId, bytes calldata output) external {
        if (msg.sender != address(coprocessor)) revert OnlyCoprocessor(msg.sender);
        uint256 slot = postOfRequest[requestId];
        if (slot == 0) revert UnknownRequest(requestId);
        int256[] memory logits = abi.decode(output, (int256[]));
        Post storage p = posts[slot - 1];
        p.classified = true;
        p.hamLogit = logits[0];
        p.spamLogit = logits[1];
        p.spam = logits[1] > logits[0];
        emit PostClassified(slot - 1, p.spam, logits[0], logits[1]);
    }

    function postCount() external view returns (uint256) {
        return posts.length;
    }
}
