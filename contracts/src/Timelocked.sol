// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title Timelocked
/// @notice Admin changes take effect only `adminDelay` after the owner announces them, so anyone
/// who would suffer from a change (an operator whose stake a new slasher could take, a consumer
/// whose fees would rise) sees it on chain and can leave first. A change is the ABI-encoded call
/// of an `onlyTimelocked` setter of this contract: the owner schedules it, waits, and executes
/// it, which makes this contract call itself with those bytes.
/// @dev Deployments must use an `adminDelay` longer than the NodeRegistry's unbonding period so
/// that an operator who starts unbonding when a change is scheduled is out before it executes.
abstract contract Timelocked is Ownable {
    uint64 public constant MIN_ADMIN_DELAY = 1 hours;
    uint64 public constant MAX_ADMIN_DELAY = 30 days;
    /// @notice How long a scheduled change waits before it may execute.
    uint64 public immutable adminDelay;
    /// @notice keccak256(data) of a scheduled change => the time from which it may execute (0: none).
    mapping(bytes32 => uint64) public changeReadyAt;

    error NotTimelocked(address caller);
    error InvalidAdminDelay(uint64 delay);
    error ChangeNotScheduled(bytes32 id);
    error ChangeNotReady(bytes32 id, uint64 readyAt);

    event ChangeScheduled(bytes32 indexed id, bytes data, uint64 readyAt);
    event ChangeCancelled(bytes32 indexed id);
    event ChangeExecuted(bytes32 indexed id, bytes data);

    /// @dev Requirements: `MIN_ADMIN_DELAY <= adminDelay_ <= MAX_ADMIN_DELAY`.
    constructor(uint64 adminDelay_) {
        if (adminDelay_ < MIN_ADMIN_DELAY || adminDelay_ > MAX_ADMIN_DELAY) revert InvalidAdminDelay(adminDelay_);
        adminDelay = adminDelay_;
    }

    /// @dev Only this contract itself, i.e. a change executed through `executeChange`.
    modifier onlyTimelocked() {
        if (msg.sender != address(this)) revert NotTimelocked(msg.sender);
        _;
    }

    /// @notice Announces the change `data` (a call of one of this contract's `onlyTimelocked`
    /// setters); it may execute from `block.timestamp + adminDelay`. Scheduling the same bytes
    /// again restarts the wait. Returns the change's id, `keccak256(data)`.
    /// Requirements: the owner.
    function scheduleChange(bytes calldata data) external onlyOwner returns (bytes32 id) {
        id = keccak256(data);
        uint64 readyAt = uint64(block.timestamp) + adminDelay;
        changeReadyAt[id] = readyAt;
        emit ChangeScheduled(id, data, readyAt);
    }

    /// @notice Drops the scheduled change `data`. Requirements: the owner; the change is scheduled.
    function cancelChange(bytes calldata data) external onlyOwner {
        bytes32 id = keccak256(data);
        if (changeReadyAt[id] == 0) revert ChangeNotScheduled(id);
        delete changeReadyAt[id];
        emit ChangeCancelled(id);
    }

    /// @notice Executes the scheduled change `data` by calling this contract with it; a failing
    /// setter's revert is passed on unchanged (and the change stays scheduled).
    /// Requirements: the owner; the change is scheduled and its delay is over.
    function executeChange(bytes calldata data) external onlyOwner {
        bytes32 id = keccak256(data);
        uint64 readyAt = changeReadyAt[id];
        if (readyAt == 0) revert ChangeNotScheduled(id);
        if (block.timestamp < readyAt) revert ChangeNotReady(id, readyAt);
        delete changeReadyAt[id];
        (bool ok, bytes memory ret) = address(this).call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
        emit ChangeExecuted(id, data);
    }
}
