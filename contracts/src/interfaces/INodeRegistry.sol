// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice What the Coprocessor and the Committee need from the NodeRegistry.
interface INodeRegistry {
    /// @notice Whether `operator` is registered with at least `minStake` bonded.
    function isActive(address operator) external view returns (bool);
    /// @notice Whether `operator` is active and has opted in to `modelId` (it may be drawn for it).
    function canServe(address operator, bytes32 modelId) external view returns (bool);
    /// @notice The models `operator` has opted in to (at most 16), whether or not it is active.
    function servedModels(address operator) external view returns (bytes32[] memory);
    /// @notice The operators that can serve `modelId` (active and opted in), in no particular order.
    function serversOf(bytes32 modelId) external view returns (address[] memory);
    /// @notice The summed stake of the operators that can serve `modelId`: what draws pick from.
    function modelStake(bytes32 modelId) external view returns (uint256);
    /// @notice One operator that can serve `modelId`, drawn with probability proportional to its
    /// stake from `seed`. Reverts `NoServer(modelId)` when nobody can serve it.
    function select(bytes32 modelId, uint256 seed) external view returns (address);
    /// @notice Up to `size` distinct operators that can serve `modelId`, drawn by stake from
    /// `seed`, avoiding `exclude` while enough others serve it. Reverts
    /// `NotEnoughServers(modelId, count, minimum)` when fewer than `minimum` can serve it.
    function drawCommittee(bytes32 modelId, uint256 seed, uint256 size, uint256 minimum, address[] calldata exclude)
        external
        view
        returns (address[] memory members);
    /// @notice `select` over the stakes and opt-ins as they stood at the end of block `atBlock`
    /// (one of the last 256 blocks, marked with `markDrawBlock`); 0 when nobody could serve
    /// `modelId` then.
    function selectAt(bytes32 modelId, uint256 seed, uint256 atBlock) external view returns (address);
    /// @notice `drawCommittee` over the stakes and opt-ins as they stood at the end of block
    /// `atBlock` (one of the last 256 blocks, marked with `markDrawBlock`), drawn without replacement.
    function drawCommitteeAt(
        bytes32 modelId,
        uint256 seed,
        uint256 size,
        uint256 minimum,
        address[] calldata exclude,
        uint256 atBlock
    ) external view returns (address[] memory members);
    /// @notice Marks this block as a draw block of `modelId` (the registry keeps its stakes for
    /// past-block draws); returns the model's stake now. Slashers only.
    function markDrawBlock(bytes32 modelId) external returns (uint256);
    function activeOperators() external view returns (address[] memory);
    function minStake() external view returns (uint256);
    function unbondingPeriod() external view returns (uint64);
    function slash(address operator, uint256 amount, string calldata reason) external returns (uint256 taken);
    function recordServed(address operator) external;
    function recordServedBy(address[] calldata operators) external payable;
    function recordServedTimes(address operator, uint64 times) external;
    function recordMissed(address operator) external;
}
