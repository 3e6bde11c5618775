// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice What the Coprocessor (and later the committee) needs from the NodeRegistry.
interface INodeRegistry {
    function isActive(address operator) external view returns (bool);
    function select(uint256 seed) external view returns (address);
    function activeOperators() external view returns (address[] memory);
    function slash(address operator, uint256 amount, string calldata reason) external returns (uint256 taken);
    function drawCommittee(uint256 seed, uint256 size, uint256 minimum, address[] calldata exclude)
        external
        view
        returns (address[] memory members);
    function recordServed(address operator) external;
    function recordServedBy(address[] calldata operators) external;
    function recordMissed(address operator) external;
}
