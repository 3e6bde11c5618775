// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {VerityConsumer} from "../VerityConsumer.sol";
import {ICoprocessor} from "../interfaces/ICoprocessor.sol";

/// @title ModerationDAO
/// @notice A forum moderated by a proved spam classifier under rules the DAO sets. A post's text
/// comes on chain with it (in calldata and the PostSubmitted event, its hash in storage), and the
/// contract itself derives the model input from that text: one feature per vocabulary word, 1 when
/// the word occurs (`models/spam/features.ts`, ASCII letters only), so nobody can pair a spam text
/// with the features of a harmless one. A post is hidden when the model's spam logit
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
    uint8 public immutable inputScale;
    uint32 public constant CALLBACK_GAS = 150_000;
    /// @notice Longest post text, in bytes (featurising costs gas per byte).
    uint256 public constant MAX_POST_BYTES = 8192;
    /// @notice How many words the model's input stands for (one input each, in vocabulary order).
    uint256 public immutable vocabularySize;
    /// @dev A 256-bit Bloom filter of the vocabulary's word hashes (bits h & 0xff and (h >> 8) & 0xff).
    uint256 private immutable vocabularyBloom;
    address public governor;
    int256 public threshold;
    uint256 public appealBond;
    uint256 public memberCount;
    mapping(address => bool) public isMember;
    Post[] public posts;
    mapping(uint256 => uint256) private postOfRequest;
    mapping(uint256 => mapping(address => bool)) public voted;
    /// @dev keccak256 of a vocabulary word => its input index + 1
    mapping(bytes32 => uint256) private wordSlot;

    error OnlyGovernor(address caller);
    error OnlyMember(address caller);
    error NotAppealable(uint256 postId, State state);
    error NotAuthor(uint256 postId, address caller);
    error WrongBond(uint256 required, uint256 paid);
    error AlreadyVoted(uint256 postId, address member);
    error PostTooLong(uint256 length, uint256 max);
    error BadVocabulary(uint256 index);

    event PostSubmitted(uint256 indexed postId, uint256 indexed requestId, address indexed author, bytes32 contentHash, string text);
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

    /// @param inputScale_ the spam model's input scale (a present word is `2 ** inputScale_` + 128)
    /// @param vocabulary the words the model's inputs stand for, in input order, separated by
    /// single spaces (models/spam/vocabulary.json joined with " ")
    constructor(
        ICoprocessor coprocessor_,
        bytes32 modelId_,
        uint8 inputScale_,
        string memory vocabulary,
        address governor_,
        address[] memory members,
        int256 threshold_,
        uint256 appealBond_
    ) VerityConsumer(coprocessor_) {
        modelId = modelId_;
        outputScale = _outputScale(modelId_);
        inputScale = inputScale_;
        (vocabularySize, vocabularyBloom) = _setVocabulary(bytes(vocabulary));
        governor = governor_;
        threshold = threshold_;
        appealBond = appealBond_;
        for (uint256 i = 0; i < members.length; i++) _setMember(members[i], true);
    }

    /// @notice The fee `submitPost` must carry.
    function fee() external view returns (uint256) {
        return coprocessor.quote(modelId, CALLBACK_GAS);
    }

    /// @notice Posts `text` for moderation; the model input is derived from it here (`featuresOf`).
    /// Requirements:
    /// - `text` is at most `MAX_POST_BYTES` long;
    /// - `msg.value` covers `fee()`.
    function submitPost(string calldata text) external payable returns (uint256 postId) {
        if (bytes(text).length > MAX_POST_BYTES) revert PostTooLong(bytes(text).length, MAX_POST_BYTES);
        postId = posts.length;
        Post storage p = posts.push();
        p.author = msg.sender;
        p.contentHash = keccak256(bytes(text));
        p.requestId = _ask(modelId, featuresOf(text), CALLBACK_GAS, msg.value);
        postOfRequest[p.requestId] = postId + 1;
        emit PostSubmitted(postId, p.requestId, msg.sender, p.contentHash, text);
    }

    /// @notice The model input for `text`: per vocabulary word, 1 if it occurs and 0 if not, one
    /// byte each at `inputScale`. Words are as `tokenize` in models/spam/features.ts reads them:
    /// lower-cased runs matching `[a-z][a-z']{1,19}` (longer runs split every 20 letters); any
    /// byte outside ASCII letters and the apostrophe separates words.
    function featuresOf(string calldata text) public view returns (bytes memory input) {
        uint256 present; // bit k: vocabulary word k occurs
        uint256 bloom = vocabularyBloom;
        assembly ("memory-safe") {
            let i := text.offset
            let end := add(i, text.length)
            for {} lt(i, end) {} {
                let c := byte(0, calldataload(i))
                if and(gt(c, 0x40), lt(c, 0x5b)) { c := add(c, 32) }
                if or(lt(c, 0x61), gt(c, 0x7a)) {
                    i := add(i, 1)
                    continue
                }
                // the word, lower-cased and left-aligned, is at most 20 bytes
                let w := shl(248, c)
                let len := 1
                for {} and(lt(len, 20), lt(add(i, len), end)) {} {
                    let d := byte(0, calldataload(add(i, len)))
                    if and(gt(d, 0x40), lt(d, 0x5b)) { d := add(d, 32) }
                    if and(or(lt(d, 0x61), gt(d, 0x7a)), iszero(eq(d, 0x27))) { break }
                    w := or(w, shl(sub(248, mul(len, 8)), d))
                    len := add(len, 1)
                }
                switch lt(len, 2)
                case 1 { i := add(i, 1) }
                default {
                    mstore(0, w)
                    let h := keccak256(0, len)
                    // most words are not in the vocabulary: the filter spares their storage reads
                    if and(and(shr(and(h, 0xff), bloom), shr(and(shr(8, h), 0xff), bloom)), 1) {
                        mstore(0, h)
                        mstore(32, wordSlot.slot)
                        let slot := sload(keccak256(0, 64))
                        if slot { present := or(present, shl(sub(slot, 1), 1)) }
                    }
                    i := add(i, len)
                }
            }
        }
        input = new bytes(vocabularySize);
        bytes1 one = _inputByte(1, 1, inputScale);
        for (uint256 k = 0; k < input.length; k++) input[k] = (present >> k) & 1 == 1 ? one : bytes1(0x80);
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

    /// @dev Indexes the space-separated words of `vocabulary` (each a word `featuresOf` can read:
    /// 2 to 20 of a-z and the apostrophe, starting with a letter; no duplicates; 256 at most).
    function _setVocabulary(bytes memory vocabulary) private returns (uint256 count, uint256 bloom) {
        uint256 start = 0;
        for (uint256 i = 0; i <= vocabulary.length; i++) {
            if (i < vocabulary.length && vocabulary[i] != " ") continue;
            uint256 len = i - start;
            bytes32 h;
            assembly ("memory-safe") {
                h := keccak256(add(add(vocabulary, 32), start), len)
            }
            if (len < 2 || len > 20 || vocabulary[start] < "a" || vocabulary[start] > "z" || wordSlot[h] != 0 || count == 256) {
                revert BadVocabulary(count);
            }
            for (uint256 k = start + 1; k < i; k++) {
                bytes1 c = vocabulary[k];
                if ((c < "a" || c > "z") && c != "'") revert BadVocabulary(count);
            }
            wordSlot[h] = ++count;
            bloom |= (uint256(1) << (uint256(h) & 0xff)) | (uint256(1) << ((uint256(h) >> 8) & 0xff));
            start = i + 1;
        }
    }

    function _setMember(address member, bool on) private {
        if (isMember[member] == on) return;
        isMember[member] = on;
        if (on) memberCount++;
        else memberCount--;
        emit MemberChanged(member, on);
    }
}
