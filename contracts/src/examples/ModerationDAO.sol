// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {VerityConsumer} from "../VerityConsumer.sol";
import {ICoprocessor} from "../interfaces/ICoprocessor.sol";

/// @title ModerationDAO
/// @notice A forum moderated by a proved spam classifier under rules the DAO sets. Each post's
/// hashed bag-of-words features go to the model; a post is hidden when the model's spam logit
/// beats its ham logit by more than `threshold` (fixed point at the model's output scale), a
/// parameter only the DAO's governor changes. An author whose post is hidden may appeal with a
/// bond; the members vote, and a majority restores the post (bond returned) or upholds the
/// decision for good (bond to the governor's treasury).
contract ModerationDAO is VerityConsumer {
    enum State {
        Pending,
        Visible,
        Hidden,
        Appealed,
        Restored,
        Upheld
    }

    struct Post {
        address author;
        bytes32 contentHash;
        uint256 requestId;
        State state;
        int256 margin;
        uint32 restoreVotes;
        uint32 upholdVotes;
    }

    bytes32 public immutable modelId;
    uint8 public immutable outputScale;
    uint32 public constant CALLBACK_GAS = 150_000;
    address public governor;
    int256 public threshold;
    uint256 public appealBond;
    uint256 public memberCount;
    mapping(address => bool) public isMember;
    Post[] public posts;
    mapping(uint256 => uint256) private postOfRequest;
    mapping(uint256 => mapping(address => bool)) public voted;

    error OnlyGovernor(address caller);
    error OnlyMember(address caller);
    error NotAppealable(uint256 postId, State state);
    error NotAuthor(uint256 postId, address caller);
    error WrongBond(uint256 required, uint256 paid);
    error AlreadyVoted(uint256 postId, address member);

    event PostSubmitted(uint256 indexed postId, uint256 indexed requestId, address indexed author, bytes32 contentHash);
    event PostModerated(uint256 indexed postId, bool hidden, int256 margin, int256 threshold);
    event Appealed(uint256 indexed postId, address indexed author, uint256 bond);
    event AppealVoted(uint256 indexed postId, address indexed member, bool restore);
    event AppealDecided(uint256 indexed postId, bool restored);
    event ThresholdChanged(int256 threshold);
    event MemberChanged(address indexed member, bool isMember);

    modifier onlyGovernor() {
        if (msg.sender != governor) revert OnlyGovernor(msg.sender);
        _;
    }

    constructor(ICoprocessor coprocessor_, bytes32 modelId_, address governor_, address[] memory members, int256 threshold_, uint256 appealBond_)
        VerityConsumer(coprocessor_)
    {
        modelId = modelId_;
        outputScale = _outputScale(modelId_);
        governor = governor_;
        threshold = threshold_;
        appealBond = appealBond_;
        for (uint256 i = 0; i < members.length; i++) _setMember(members[i], true);
    }

    /// @notice The fee `submitPost` must carry.
    function fee() external view returns (uint256) {
        return coprocessor.quote(modelId, CALLBACK_GAS);
    }

    /// @notice Posts content (kept off chain, its hash here) for moderation; `features` is the model input.
    function submitPost(bytes32 contentHash, bytes calldata features) external payable returns (uint256 postId) {
        uint256 requestId = _ask(modelId, features, CALLBACK_GAS, msg.value);
        postId = posts.length;
        posts.push(Post(msg.sender, contentHash, requestId, State.Pending, 0, 0, 0));
        postOfRequest[requestId] = postId + 1;
        emit PostSubmitted(postId, requestId, msg.sender, contentHash);
    }

    function _onResult(uint256 requestId, bytes calldata output) internal override {
        uint256 slot = postOfRequest[requestId];
        if (slot == 0) revert UnknownRequest(requestId);
        int256[] memory logits = abi.decode(output, (int256[]));
        Post storage p = posts[slot - 1];
        p.margin = logits[1] - logits[0];
        bool hidden = p.margin > threshold;
        p.state = hidden ? State.Hidden : State.Visible;
        emit PostModerated(slot - 1, hidden, p.margin, threshold);
    }

    /// @notice The author of a hidden post asks the members to restore it, with `appealBond`.
    function appeal(uint256 postId) external payable {
        Post storage p = posts[postId];
        if (p.state != State.Hidden) revert NotAppealable(postId, p.state);
        if (msg.sender != p.author) revert NotAuthor(postId, msg.sender);
        if (msg.value != appealBond) revert WrongBond(appealBond, msg.value);
        p.state = State.Appealed;
        emit Appealed(postId, msg.sender, msg.value);
    }

    /// @notice A member's vote on an appeal; the first side to pass half the members decides it.
    function voteAppeal(uint256 postId, bool restore) external {
        if (!isMember[msg.sender]) revert OnlyMember(msg.sender);
        Post storage p = posts[postId];
        if (p.state != State.Appealed) revert NotAppealable(postId, p.state);
        if (voted[postId][msg.sender]) revert AlreadyVoted(postId, msg.sender);
        voted[postId][msg.sender] = true;
        emit AppealVoted(postId, msg.sender, restore);
        if (restore) p.restoreVotes++;
        else p.upholdVotes++;
        if (2 * uint256(p.restoreVotes) > memberCount) {
            p.state = State.Restored;
            emit AppealDecided(postId, true);
            _pay(p.author, appealBond);
        } else if (2 * uint256(p.upholdVotes) >= memberCount) {
            p.state = State.Upheld;
            emit AppealDecided(postId, false);
            _pay(governor, appealBond);
        }
    }

    /// @notice Whether readers see the post: moderated visible, or restored on appeal.
    function isVisible(uint256 postId) external view returns (bool) {
        State s = posts[postId].state;
        return s == State.Visible || s == State.Restored;
    }

    function setThreshold(int256 threshold_) external onlyGovernor {
        threshold = threshold_;
        emit ThresholdChanged(threshold_);
    }

    function setMember(address member, bool on) external onlyGovernor {
        _setMember(member, on);
    }

    function setGovernor(address governor_) external onlyGovernor {
        governor = governor_;
    }

    function postCount() external view returns (uint256) {
        return posts.length;
    }

    function _setMember(address member, bool on) private {
        if (isMember[member] == on) return;
        isMember[member] = on;
        if (on) memberCount++;
        else memberCount--;
        emit MemberChanged(member, on);
    }
}
