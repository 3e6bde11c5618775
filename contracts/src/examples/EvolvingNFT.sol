// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {Base64} from "@openzeppelin/contracts/utils/Base64.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {VerityConsumer} from "../VerityConsumer.sol";
import {ICoprocessor} from "../interfaces/ICoprocessor.sol";

/// @title EvolvingNFT
/// @notice A character NFT whose traits change with what happens to it. The holder writes an
/// event into the token's chronicle in plain words ("our guild won the tournament"); an
/// agreed-mode committee interprets it with the registered model's Label rule (triumph,
/// ordinary, setback), and the callback evolves the traits: a triumph raises the level, a
/// setback adds a scar, and the mood is the latest reading. The traits are on chain, in
/// `tokenURI`'s JSON.
contract EvolvingNFT is ERC721, VerityConsumer {
    using Strings for uint256;

    struct Traits {
        uint32 level;
        uint32 scars;
        uint32 events;
        string mood;
    }

    bytes32 public immutable modelId;
    uint32 public constant CALLBACK_GAS = 150_000;
    uint256 public nextId = 1;
    mapping(uint256 => Traits) private traits;
    mapping(uint256 => uint256) private tokenOfRequest;
    mapping(uint256 => uint256) public pendingOf;

    error NotHolder(uint256 tokenId, address caller);
    error EventPending(uint256 tokenId, uint256 requestId);

    event Chronicled(uint256 indexed tokenId, uint256 indexed requestId, string text);
    event Evolved(uint256 indexed tokenId, uint256 indexed requestId, string reading, uint32 level, uint32 scars);

    constructor(ICoprocessor coprocessor_, bytes32 modelId_) ERC721("Verity Wanderer", "WNDR") VerityConsumer(coprocessor_) {
        modelId = modelId_;
    }

    function mint() external returns (uint256 tokenId) {
        tokenId = nextId++;
        traits[tokenId] = Traits(1, 0, 0, "calm");
        _mint(msg.sender, tokenId);
    }

    function fee() external view returns (uint256) {
        return coprocessor.quote(modelId, CALLBACK_GAS);
    }

    /// @notice The holder records an event; the committee's reading evolves the token.
    function chronicle(uint256 tokenId, string calldata text) external payable returns (uint256 requestId) {
        if (ownerOf(tokenId) != msg.sender) revert NotHolder(tokenId, msg.sender);
        if (pendingOf[tokenId] != 0) revert EventPending(tokenId, pendingOf[tokenId]);
        requestId = _ask(modelId, bytes(text), CALLBACK_GAS, msg.value);
        tokenOfRequest[requestId] = tokenId;
        pendingOf[tokenId] = requestId;
        emit Chronicled(tokenId, requestId, text);
    }

    function _onResult(uint256 requestId, bytes calldata reading) internal override {
        uint256 tokenId = tokenOfRequest[requestId];
        if (tokenId == 0) revert UnknownRequest(requestId);
        delete tokenOfRequest[requestId];
        pendingOf[tokenId] = 0;
        Traits storage t = traits[tokenId];
        t.events++;
        if (_isLabel(reading, "triumph")) {
            t.level++;
            t.mood = "elated";
        } else if (_isLabel(reading, "setback")) {
            t.scars++;
            t.mood = "grim";
        } else {
            t.mood = "calm";
        }
        emit Evolved(tokenId, requestId, string(reading), t.level, t.scars);
    }

    function _onRefunded(uint256 requestId) internal override {
        pendingOf[tokenOfRequest[requestId]] = 0;
        delete tokenOfRequest[requestId];
    }

    function traitsOf(uint256 tokenId) external view returns (Traits memory) {
        _requireOwned(tokenId);
        return traits[tokenId];
    }

    function tokenURI(uint256 tokenId) public view override returns (string memory) {
        _requireOwned(tokenId);
        Traits storage t = traits[tokenId];
        bytes memory json = abi.encodePacked(
            '{"name":"Wanderer #', tokenId.toString(),
            '","attributes":[{"trait_type":"level","value":', uint256(t.level).toString(),
            '},{"trait_type":"scars","value":', uint256(t.scars).toString(),
            '},{"trait_type":"events","value":', uint256(t.events).toString(),
            '},{"trait_type":"mood","value":"', t.mood, '"}]}'
        );
        return string.concat("data:application/json;base64,", Base64.encode(json));
    }
}
