// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Timelocked} from "./Timelocked.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";

/// @title NodeRegistry
/// @notice Operators stake native token and opt in to the models they serve. A stake at or above
/// `minStake` makes an operator active; an active operator that serves a model can be drawn for
/// it, with probability proportional to its stake, and never for a model it does not serve.
/// Unstaking goes through an unbonding period during which the stake can still be slashed;
/// slashers (the Coprocessor, the agreed-mode committee) take stake for failed duties and keep
/// per-operator counters. Slashers and parameters change only through the timelock.
/// @dev Per model, a Fenwick tree over the stakes of the operators that can serve it, with a
/// fixed capacity of 2^16 leaves kept sparsely in mappings: a draw is a descent of 16 reads
/// whatever the number of operators, and a stake change updates the operator's leaf in each
/// model it serves (at most 16). Leaves are handed out from the top of the tree (where a Fenwick
/// update touches few nodes) and freed leaves are reused. Slashed funds are sent to the slasher,
/// which accounts for them (treasury, voters), so every wei that leaves this contract goes to a
/// withdrawing operator or a slasher contract. Withdrawals are pull payments.
contract NodeRegistry is Timelocked, INodeRegistry {
    struct Operator {
        bool registered;
        uint64 unbondingReadyAt;
        uint64 served;
        uint64 missed;
        uint64 slashes;
        /// @dev index + 1 in `active` (0: not in the list)
        uint256 activeIndex;
        /// @dev the part of `stake` counted in `totalActiveStake` and in each served model's tree
        uint256 counted;
        uint256 stake;
        uint256 unbonding;
        uint256 slashed;
        string name;
        string apiUrl;
    }

    /// @dev One operator's opt-in to one model (all indices + 1; 0: none).
    struct Serving {
        uint32 modelIndex; // in `served[operator]`
        uint32 leaf; // in the model's tree (0 while the operator is inactive)
        uint32 serverIndex; // in the model's `servers`
    }

    /// @dev A Fenwick tree over leaves 1..TREE_CAPACITY; `node[TREE_CAPACITY]` is the total.
    struct ModelTree {
        uint32 used; // leaves ever handed out, from the top down
        uint32[] freeLeaves;
        address[] servers; // the owners of the leaves
        mapping(uint256 => uint256) node;
        mapping(uint256 => address) leafOwner;
    }

    uint256 public constant MAX_MODELS_PER_OPERATOR = 16;
    uint256 public constant TREE_CAPACITY = 1 << 16;
    uint64 public constant MAX_UNBONDING_PERIOD = 90 days;

    uint256 public minStake;
    uint64 public unbondingPeriod;
    mapping(address => bool) public isSlasher;
    /// @notice Whether the owner's one-shot `initSlashers` has been used.
    bool public slashersInitialized;
    mapping(address => Operator) private operators;
    address[] private active;
    mapping(address => bytes32[]) private served;
    mapping(address => mapping(bytes32 => Serving)) private serving;
    mapping(bytes32 => ModelTree) private trees;
    /// @notice Sum of the stakes of active operators.
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
    error SlashersAlreadyInitialized();
    error InvalidParameter(string name, uint256 value);
    error AlreadyServing(address operator, bytes32 modelId);
    error NotServing(address operator, bytes32 modelId);
    error TooManyModels(address operator, uint256 max);
    error ModelFull(bytes32 modelId, uint256 capacity);
    error NoServer(bytes32 modelId);
    error NotEnoughServers(bytes32 modelId, uint256 count, uint256 minimum);

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
    event ServingStarted(address indexed operator, bytes32 indexed modelId, uint256 stake);
    event ServingStopped(address indexed operator, bytes32 indexed modelId);
    event ActivityRefreshed(address indexed operator, bool active, uint256 stake);

    /// @dev Requirements: `adminDelay_` within [MIN_ADMIN_DELAY, MAX_ADMIN_DELAY]; `minStake_ > 0`;
    /// `unbondingPeriod_ <= MAX_UNBONDING_PERIOD`.
    constructor(address owner_, uint64 adminDelay_, uint256 minStake_, uint64 unbondingPeriod_)
        Ownable(owner_)
        Timelocked(adminDelay_)
    {
        _setParameters(minStake_, unbondingPeriod_);
    }

    modifier onlySlasher() {
        if (!isSlasher[msg.sender]) revert NotSlasher(msg.sender);
        _;
    }

    // ---------------------------------------------------------------- owner

    /// @notice Allows the deployment's slashers (the Coprocessor, the committee), once.
    /// Requirements: owner; not used before; no zero address.
    function initSlashers(address[] calldata slashers) external onlyOwner {
        if (slashersInitialized) revert SlashersAlreadyInitialized();
        slashersInitialized = true;
        for (uint256 i = 0; i < slashers.length; i++) _setSlasher(slashers[i], true);
    }

    /// @notice Allows or revokes a slasher. Requirements: through the timelock; no zero address.
    function setSlasher(address slasher, bool allowed) external onlyTimelocked {
        _setSlasher(slasher, allowed);
    }

    /// @notice Sets the minimum stake and the unbonding period. Operators below a raised minimum
    /// stop being drawn at their next stake change or `refresh`. Requirements: through the
    /// timelock; `minStake_ > 0`; `unbondingPeriod_ <= MAX_UNBONDING_PERIOD`.
    function setParameters(uint256 minStake_, uint64 unbondingPeriod_) external onlyTimelocked {
        _setParameters(minStake_, unbondingPeriod_);
    }

    // ---------------------------------------------------------------- operators

    /// @notice Registers the caller as an operator with `msg.value` as its stake. It is drawn
    /// for nothing until it opts in to models with `serveModel`.
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
        _refresh(msg.sender, o);
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
        _refresh(msg.sender, o);
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
        _refresh(msg.sender, o);
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

    /// @notice Opts the caller in to `modelId`: while active it can be drawn for it, by stake.
    /// Requirements: registered; not serving it yet; serving fewer than MAX_MODELS_PER_OPERATOR
    /// models; the model's tree has room when the caller is active.
    function serveModel(bytes32 modelId) external {
        Operator storage o = _registered(msg.sender);
        Serving storage s = serving[msg.sender][modelId];
        if (s.modelIndex != 0) revert AlreadyServing(msg.sender, modelId);
        bytes32[] storage models = served[msg.sender];
        if (models.length >= MAX_MODELS_PER_OPERATOR) revert TooManyModels(msg.sender, MAX_MODELS_PER_OPERATOR);
        models.push(modelId);
        s.modelIndex = uint32(models.length);
        _setLeaf(msg.sender, modelId, 0, o.counted);
        emit ServingStarted(msg.sender, modelId, o.counted);
    }

    /// @notice Opts the caller out of `modelId`: it is no longer drawn for it.
    /// Requirements: serving it.
    function stopServing(bytes32 modelId) external {
        Serving storage s = serving[msg.sender][modelId];
        if (s.modelIndex == 0) revert NotServing(msg.sender, modelId);
        _setLeaf(msg.sender, modelId, operators[msg.sender].counted, 0);
        bytes32[] storage models = served[msg.sender];
        uint256 i = s.modelIndex - 1;
        bytes32 last = models[models.length - 1];
        models[i] = last;
        serving[msg.sender][last].modelIndex = uint32(i + 1);
        models.pop();
        delete serving[msg.sender][modelId];
        emit ServingStopped(msg.sender, modelId);
    }

    /// @notice Re-checks `operator` against the current `minStake` (after a parameter change):
    /// an operator below a raised minimum stops being drawn, one at or above a lowered one
    /// becomes active again. Anyone may call it. Requirements: `operator` is registered.
    function refresh(address operator) external {
        Operator storage o = _registered(operator);
        _refresh(operator, o);
        emit ActivityRefreshed(operator, o.activeIndex != 0, o.counted);
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
        _refresh(operator, o);
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

    /// @notice Whether `operator` is registered with at least `minStake` bonded (as of its last
    /// stake change or refresh).
    function isActive(address operator) public view returns (bool) {
        return operators[operator].activeIndex != 0;
    }

    /// @notice Whether `operator` can be drawn for `modelId`: active and opted in.
    function canServe(address operator, bytes32 modelId) public view returns (bool) {
        return serving[operator][modelId].leaf != 0;
    }

    function getOperator(address operator) external view returns (Operator memory) {
        return operators[operator];
    }

    function activeOperators() external view returns (address[] memory) {
        return active;
    }

    /// @notice The models `operator` has opted in to, whether or not it is active now.
    function servedModels(address operator) external view returns (bytes32[] memory) {
        return served[operator];
    }

    /// @notice The operators that can serve `modelId`, in no particular order.
    function serversOf(bytes32 modelId) external view returns (address[] memory) {
        return trees[modelId].servers;
    }

    /// @notice The summed stake of the operators that can serve `modelId`.
    function modelStake(bytes32 modelId) public view returns (uint256) {
        return trees[modelId].node[TREE_CAPACITY];
    }

    /// @notice The stake `modelId`'s tree counts for `operator` (0 when it cannot serve it),
    /// read back from the tree.
    function servingStake(address operator, bytes32 modelId) external view returns (uint256 value) {
        uint256 leaf = serving[operator][modelId].leaf;
        if (leaf == 0) return 0;
        ModelTree storage t = trees[modelId];
        value = t.node[leaf];
        uint256 stop = leaf - (leaf & (~leaf + 1));
        for (uint256 j = leaf - 1; j > stop; j -= j & (~j + 1)) value -= t.node[j];
    }

    /// @notice The operator owning the point `seed mod modelStake(modelId)` of the model's stake
    /// line: each server is drawn with probability stake / modelStake. Reverts when nobody can
    /// serve the model.
    function select(bytes32 modelId, uint256 seed) public view returns (address) {
        ModelTree storage t = trees[modelId];
        uint256 total = t.node[TREE_CAPACITY];
        if (total == 0) revert NoServer(modelId);
        return t.leafOwner[_find(t, seed % total)];
    }

    /// @notice `size` distinct servers of `modelId` drawn by stake from `seed` (each draw as
    /// `select`), avoiding `exclude` while enough others serve it; fewer when fewer serve it.
    /// Few servers or unlucky draws: after `8 * size` draws the rest is filled from
    /// `serversOf(modelId)` starting at a seeded position, the excluded last. Reverts when fewer
    /// than `minimum` (or no) operators can serve the model.
    function drawCommittee(bytes32 modelId, uint256 seed, uint256 size, uint256 minimum, address[] calldata exclude)
        external
        view
        returns (address[] memory members)
    {
        ModelTree storage t = trees[modelId];
        uint256 count = t.servers.length;
        if (count < minimum || count == 0) revert NotEnoughServers(modelId, count, minimum);
        if (size > count) size = count;
        members = new address[](size);
        uint256 n = _drawByStake(t, seed, members, exclude);
        if (n < size) _fillFromServers(t, seed, members, n, exclude);
    }

    // ---------------------------------------------------------------- internal

    /// @dev Up to `8 * members.length` stake-weighted draws into `members`, skipping repeats and
    /// `exclude`; returns how many were filled.
    function _drawByStake(ModelTree storage t, uint256 seed, address[] memory members, address[] calldata exclude)
        private
        view
        returns (uint256 n)
    {
        uint256 size = members.length;
        uint256 total = t.node[TREE_CAPACITY];
        for (uint256 tries = 0; n < size && tries < size * 8; tries++) {
            address a = t.leafOwner[_find(t, uint256(keccak256(abi.encode(seed, tries))) % total)];
            if (!_contains(members, n, a) && !_containsCalldata(exclude, a)) members[n++] = a;
        }
    }

    /// @dev Fills the rest of `members` from the servers list, from a seeded position on, the
    /// excluded last. Stops as soon as `members` is full.
    function _fillFromServers(
        ModelTree storage t,
        uint256 seed,
        address[] memory members,
        uint256 n,
        address[] calldata exclude
    ) private view {
        uint256 size = members.length;
        uint256 count = t.servers.length;
        uint256 start = seed % count;
        for (uint256 pass = 0; pass < 2 && n < size; pass++) {
            for (uint256 k = 0; k < count && n < size; k++) {
                address a = t.servers[(start + k) % count];
                if (!_contains(members, n, a) && (pass == 1 || !_containsCalldata(exclude, a))) members[n++] = a;
            }
        }
    }

    function _setSlasher(address slasher, bool allowed) private {
        if (slasher == address(0)) revert InvalidParameter("slasher", 0);
        isSlasher[slasher] = allowed;
        emit SlasherSet(slasher, allowed);
    }

    function _setParameters(uint256 minStake_, uint64 unbondingPeriod_) private {
        if (minStake_ == 0) revert InvalidParameter("minStake", minStake_);
        if (unbondingPeriod_ > MAX_UNBONDING_PERIOD) revert InvalidParameter("unbondingPeriod", unbondingPeriod_);
        minStake = minStake_;
        unbondingPeriod = unbondingPeriod_;
        emit ParametersChanged(minStake_, unbondingPeriod_);
    }

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

    /// @dev Keeps `active`, `totalActiveStake` and the operator's leaf in each model it serves in
    /// step with its stake: an operator counts its whole stake while at or above `minStake`.
    function _refresh(address operator, Operator storage o) private {
        uint256 old = o.counted;
        bool eligible = o.stake >= minStake && o.stake > 0;
        uint256 value = eligible ? o.stake : 0;
        bool listed = o.activeIndex != 0;
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
        if (value == old) return;
        totalActiveStake = totalActiveStake - old + value;
        o.counted = value;
        bytes32[] storage models = served[operator];
        for (uint256 i = 0; i < models.length; i++) _setLeaf(operator, models[i], old, value);
    }

    /// @dev Moves `operator`'s leaf in `modelId` from `old` to `value`: takes a leaf when it
    /// starts counting, frees it (and leaves `servers`) when it stops.
    function _setLeaf(address operator, bytes32 modelId, uint256 old, uint256 value) private {
        Serving storage s = serving[operator][modelId];
        ModelTree storage t = trees[modelId];
        uint256 leaf = s.leaf;
        if (leaf == 0) {
            if (value == 0) return;
            uint256 free = t.freeLeaves.length;
            if (free != 0) {
                leaf = t.freeLeaves[free - 1];
                t.freeLeaves.pop();
            } else {
                if (t.used == TREE_CAPACITY) revert ModelFull(modelId, TREE_CAPACITY);
                leaf = TREE_CAPACITY - t.used;
                t.used += 1;
            }
            s.leaf = uint32(leaf);
            t.leafOwner[leaf] = operator;
            t.servers.push(operator);
            s.serverIndex = uint32(t.servers.length);
            _add(t, leaf, value);
        } else if (value == 0) {
            _sub(t, leaf, old);
            t.freeLeaves.push(uint32(leaf));
            delete t.leafOwner[leaf];
            uint256 i = s.serverIndex - 1;
            address last = t.servers[t.servers.length - 1];
            t.servers[i] = last;
            serving[last][modelId].serverIndex = uint32(i + 1);
            t.servers.pop();
            s.leaf = 0;
            s.serverIndex = 0;
        } else if (value > old) {
            _add(t, leaf, value - old);
        } else if (value < old) {
            _sub(t, leaf, old - value);
        }
    }

    function _add(ModelTree storage t, uint256 leaf, uint256 amount) private {
        for (uint256 i = leaf; i <= TREE_CAPACITY; i += i & (~i + 1)) t.node[i] += amount;
    }

    function _sub(ModelTree storage t, uint256 leaf, uint256 amount) private {
        for (uint256 i = leaf; i <= TREE_CAPACITY; i += i & (~i + 1)) t.node[i] -= amount;
    }

    /// @dev The leaf whose stake covers `point` (< the total): the first leaf whose prefix sum
    /// exceeds it, by descent over the 16 levels of the tree.
    function _find(ModelTree storage t, uint256 point) private view returns (uint256) {
        uint256 pos;
        for (uint256 k = TREE_CAPACITY >> 1; k != 0; k >>= 1) {
            uint256 v = t.node[pos + k];
            if (v <= point) {
                pos += k;
                point -= v;
            }
        }
        return pos + 1;
    }
}
