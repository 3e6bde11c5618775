// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";

/// @title NodeRegistry
/// @notice Operators stake native token to serve requests. A stake at or above `minStake` makes
/// an operator active (eligible for assignment and fulfilment); unstaking goes through an
/// unbonding period during which the stake can still be slashed; slashers (the Coprocessor, the
/// agreed-mode committee) take stake for failed duties and keep per-operator counters.
/// @dev Selection is proportional to stake over the list of active operators (a linear scan:
/// fine for the tens of operators a network starts with; a Fenwick tree over stakes would make
/// it logarithmic). Slashed funds are sent to the slasher, which accounts for them (refunds,
/// treasury), so every wei that leaves this contract goes to a withdrawing operator or a
/// slasher contract. Withdrawals are pull payments.
contract NodeRegistry is Ownable, INodeRegistry {
    struct Operator {
        bool registered;
        uint64 unbondingReadyAt;
        uint64 served;
        uint64 missed;
        uint64 slashes;
        /// @dev index + 1 in `active` (0: not in the list)
        uint256 activeIndex;
        /// @dev the part of `stake` counted in `totalActiveStake`
        uint256 counted;
        uint256 stake;
        uint256 unbonding;
        uint256 slashed;
        string name;
        string apiUrl;
    }

    uint256 public minStake;
    uint64 public unbondingPeriod;
    mapping(address => bool) public isSlasher;
    mapping(address => Operator) private operators;
    address[] private active;
    /// @notice Sum of the stakes of active operators (what selection draws from).
    uint256 public totalActiveStake;
    /// @notice Sum of every operator's bonded and unbonding stake: this contract's balance.
    uint256 public totalHeld;

    error AlreadyRegistered(address operator);
    error NotRegistered(address operator);
    error StakeBelowMinimum(uint256 stake, uint256 minStake);
    error InvalidAmount(uint256 amount);
    error UnbondingNotReady(uint64 readyAt);
    error NothingToWithdraw(address operator);
    error WithdrawFailed(address operator, uint256 amount);
    error NotSlasher(address caller);
    error NoActiveOperator();
    error NotEnoughActive(uint256 active, uint256 needed);

    event OperatorRegistered(address indexed operator, string name, string apiUrl, uint256 stake);
    event OperatorUpdated(address indexed operator, string name, string apiUrl);
    event StakeAdded(address indexed operator, uint256 amount, uint256 stake);
    event UnbondingStarted(address indexed operator, uint256 amount, uint64 readyAt);
    event Withdrawn(address indexed operator, uint256 amount);
    event Slashed(address indexed operator, address indexed slasher, uint256 amount, string reason);
    event Served(address indexed operator);
    event Missed(address indexed operator);
    event SlasherSet(address indexed slasher, bool allowed);
    event ParametersChanged(uint256 minStake, uint64 unbondingPeriod);

    constructor(address owner_, uint256 minStake_, uint64 unbondingPeriod_) Ownable(owner_) {
        minStake = minStake_;
        unbondingPeriod = unbondingPeriod_;
    }

    modifier onlySlasher() {
        if (!isSlasher[msg.sender]) revert NotSlasher(msg.sender);
        _;
    }

    // ---------------------------------------------------------------- owner

    /// @notice Allows or revokes a slasher (the Coprocessor, the committee). Requirements: owner.
    function setSlasher(address slasher, bool allowed) external onlyOwner {
        isSlasher[slasher] = allowed;
        emit SlasherSet(slasher, allowed);
    }

    /// @notice Sets the minimum stake and the unbonding period. Operators below a raised minimum
    /// become inactive at their next stake change. Requirements: owner.
    function setParameters(uint256 minStake_, uint64 unbondingPeriod_) external onlyOwner {
        minStake = minStake_;
        unbondingPeriod = unbondingPeriod_;
        emit ParametersChanged(minStake_, unbondingPeriod_);
    }

    // ---------------------------------------------------------------- operators

    /// @notice Registers the caller as an operator with `msg.value` as its stake.
    /// Requirements: not registered yet; `msg.value >= minStake`.
    function register(string calldata name, string calldata apiUrl) external payable {
        Operator storage o = operators[msg.sender];
        if (o.registered) revert AlreadyRegistered(msg.sender);
        if (msg.value < minStake) revert StakeBelowMinimum(msg.value, minStake);
        o.registered = true;
        o.name = name;
        o.apiUrl = apiUrl;
        o.stake = msg.value;
        totalHeld += msg.value;
        _refreshActive(msg.sender, o);
        emit OperatorRegistered(msg.sender, name, apiUrl, msg.value);
    }

    /// @notice Changes the caller's name and API URL. Requirements: registered.
    function updateMetadata(string calldata name, string calldata apiUrl) external {
        Operator storage o = _registered(msg.sender);
        o.name = name;
        o.apiUrl = apiUrl;
        emit OperatorUpdated(msg.sender, name, apiUrl);
    }

    /// @notice Adds `msg.value` to the caller's stake. Requirements: registered, value > 0.
    function addStake() external payable {
        Operator storage o = _registered(msg.sender);
        if (msg.value == 0) revert InvalidAmount(0);
        o.stake += msg.value;
        totalHeld += msg.value;
        _refreshActive(msg.sender, o);
        emit StakeAdded(msg.sender, msg.value, o.stake);
    }

    /// @notice Moves `amount` of the caller's stake to unbonding; it can be withdrawn after
    /// `unbondingPeriod` and stays slashable until then. A new unbonding restarts the clock.
    /// Requirements: 0 < amount <= stake; what stays is 0 or at least `minStake`.
    function unbond(uint256 amount) external {
        Operator storage o = _registered(msg.sender);
        if (amount == 0 || amount > o.stake) revert InvalidAmount(amount);
        uint256 rest = o.stake - amount;
        if (rest != 0 && rest < minStake) revert StakeBelowMinimum(rest, minStake);
        o.stake = rest;
        o.unbonding += amount;
        o.unbondingReadyAt = uint64(block.timestamp) + unbondingPeriod;
        _refreshActive(msg.sender, o);
        emit UnbondingStarted(msg.sender, amount, o.unbondingReadyAt);
    }

    /// @notice Sends the caller its unbonded stake. Requirements: the unbonding period is over
    /// and something is unbonding.
    function withdraw() external {
        Operator storage o = _registered(msg.sender);
        uint256 amount = o.unbonding;
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        if (block.timestamp < o.unbondingReadyAt) revert UnbondingNotReady(o.unbondingReadyAt);
        o.unbonding = 0;
        totalHeld -= amount;
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert WithdrawFailed(msg.sender, amount);
        emit Withdrawn(msg.sender, amount);
    }

    // ---------------------------------------------------------------- slashers

    /// @notice Takes up to `amount` from `operator` (bonded stake first, then unbonding) and
    /// sends it to the caller. Returns what was taken. Requirements: the caller is a slasher.
    function slash(address operator, uint256 amount, string calldata reason) external onlySlasher returns (uint256 taken) {
        Operator storage o = operators[operator];
        if (!o.registered) return 0;
        uint256 fromStake = amount < o.stake ? amount : o.stake;
        o.stake -= fromStake;
        uint256 rest = amount - fromStake;
        uint256 fromUnbonding = rest < o.unbonding ? rest : o.unbonding;
        o.unbonding -= fromUnbonding;
        taken = fromStake + fromUnbonding;
        o.slashed += taken;
        o.slashes += 1;
        totalHeld -= taken;
        _refreshActive(operator, o);
        emit Slashed(operator, msg.sender, taken, reason);
        if (taken > 0) {
            (bool ok,) = msg.sender.call{value: taken}("");
            if (!ok) revert WithdrawFailed(msg.sender, taken);
        }
    }

    /// @notice Counts a duty done. Requirements: the caller is a slasher.
    function recordServed(address operator) external onlySlasher {
        operators[operator].served += 1;
        emit Served(operator);
    }

    /// @notice Counts a duty done by each of `operators` (a committee's majority). Requirements: the caller is a slasher.
    function recordServedBy(address[] calldata operators_) external onlySlasher {
        for (uint256 i = 0; i < operators_.length; i++) {
            operators[operators_[i]].served += 1;
            emit Served(operators_[i]);
        }
    }

    /// @notice Counts a duty missed. Requirements: the caller is a slasher.
    function recordMissed(address operator) external onlySlasher {
        operators[operator].missed += 1;
        emit Missed(operator);
    }

    // ---------------------------------------------------------------- views

    /// @notice Whether `operator` may be assigned work and fulfil requests.
    function isActive(address operator) public view returns (bool) {
        return operators[operator].activeIndex != 0;
    }

    function getOperator(address operator) external view returns (Operator memory) {
        return operators[operator];
    }

    function activeOperators() external view returns (address[] memory) {
        return active;
    }

    /// @notice The active operator owning the point `seed mod totalActiveStake` of the stake line:
    /// each is drawn with probability stake / totalActiveStake. Reverts when none is active.
    function select(uint256 seed) public view returns (address) {
        if (totalActiveStake == 0) revert NoActiveOperator();
        uint256 point = seed % totalActiveStake;
        for (uint256 i = 0; i < active.length; i++) {
            uint256 s = operators[active[i]].stake;
            if (point < s) return active[i];
            point -= s;
        }
        revert NoActiveOperator(); // unreachable: the stakes sum to totalActiveStake
    }

    /// @notice `size` distinct active operators drawn by stake from `seed` (each draw as
    /// `select`), avoiding `exclude` while enough others are active; fewer when fewer are active.
    /// Few operators or unlucky draws: after `8 * size` draws the rest is filled in list order,
    /// the excluded last. Reverts when fewer than `minimum` operators are active.
    function drawCommittee(uint256 seed, uint256 size, uint256 minimum, address[] calldata exclude)
        external
        view
        returns (address[] memory members)
    {
        uint256 count = active.length;
        if (count < minimum || count == 0) revert NotEnoughActive(count, minimum);
        if (size > count) size = count;
        // The list and the stakes are read from storage once; every draw scans memory.
        address[] memory list = active;
        uint256[] memory stakes = new uint256[](count);
        for (uint256 i = 0; i < count; i++) stakes[i] = operators[list[i]].stake;
        members = new address[](size);
        uint256 n;
        uint256 total = totalActiveStake;
        for (uint256 tries = 0; n < size && tries < size * 8; tries++) {
            uint256 point = uint256(keccak256(abi.encode(seed, tries))) % total;
            uint256 i = 0;
            while (point >= stakes[i]) point -= stakes[i++];
            address a = list[i];
            if (!_contains(members, n, a) && !_containsCalldata(exclude, a)) members[n++] = a;
        }
        for (uint256 pass = 0; pass < 2 && n < size; pass++) {
            for (uint256 i = 0; i < count && n < size; i++) {
                address a = list[i];
                if (!_contains(members, n, a) && (pass == 1 || !_containsCalldata(exclude, a))) members[n++] = a;
            }
        }
    }

    // ---------------------------------------------------------------- internal

    function _contains(address[] memory xs, uint256 n, address a) private pure returns (bool) {
        for (uint256 i = 0; i < n; i++) if (xs[i] == a) return true;
        return false;
    }

    function _containsCalldata(address[] calldata xs, address a) private pure returns (bool) {
        for (uint256 i = 0; i < xs.length; i++) if (xs[i] == a) return true;
        return false;
    }

    function _registered(address operator) private view returns (Operator storage o) {
        o = operators[operator];
        if (!o.registered) revert NotRegistered(operator);
    }

    /// @dev Keeps `active` and `totalActiveStake` in step with the operator's stake.
    function _refreshActive(address operator, Operator storage o) private {
        bool listed = o.activeIndex != 0;
        totalActiveStake -= o.counted;
        o.counted = 0;
        bool eligible = o.stake >= minStake && o.stake > 0;
        if (eligible && !listed) {
            active.push(operator);
            o.activeIndex = active.length;
        } else if (!eligible && listed) {
            uint256 i = o.activeIndex - 1;
            address last = active[active.length - 1];
            active[i] = last;
            operators[last].activeIndex = i + 1;
            active.pop();
            o.activeIndex = 0;
        }
        if (eligible) {
            totalActiveStake += o.stake;
            o.counted = o.stake;
        }
    }
}
