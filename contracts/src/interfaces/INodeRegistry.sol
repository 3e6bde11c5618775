// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice What the Coprocessor (and later the committee) needs from the NodeRegistry.
interface INodeRegistry {
    function isActive(address operator) external view returns (bool);
    function select(uint256 seed) external view returns (address);
    function activeOperators() external view returns (address[] memory);
    function slash(address operator, uint256 amount, string calldata reason) external returns (uint256 taken);
    function recordServed(address operator) external;
    function recordMissed(address operator) external;
}
