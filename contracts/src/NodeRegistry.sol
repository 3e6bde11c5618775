// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
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
/// update touches few nodes) and freed leaves are reused once no drawable block can still read
/// their old owner. Draws read the trees as they stood at the end of their draw block (see
/// `ModelTree`), so a stake change made once that block's hash is known cannot steer them.
/// Slashed funds are sent to the slasher,
/// which accounts for them (treasury, voters), so every wei that leaves this contract goes to a
/// withdrawing operator or a slasher contract. Agreed-mode fee shares come in with the
/// Coprocessor's `recordServedBy` and wait beside each member's served counter (never slashed)
/// until `withdrawFees`. Withdrawals are pull payments.
contract NodeRegistry is Timelocked, INodeRegistry {
    struct Operator {
        bool registered;
        uint64 served;
        uint64 missed;
        /// @dev agreed-mode fee shares credited with `served` (`recordServedBy`), withdrawable with
        /// `withdrawFees`: in the counter's slot, so one write credits a member both
        uint120 fees;
        uint64 unbondingReadyAt;
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
    /// Every node keeps its value with the block it was set in and the number of earlier values
    /// kept in `past` (`since << 216 | count << 160 | value`); `past` holds those earlier values
    /// (`since << 192 | value`, ascending by block), written only when a draw block lies within
    /// the time the value held (the slashers mark each request's and appeal's block with
    /// `markDrawBlock`). So a draw reads the tree exactly as it stood at the end of its draw
    /// block, and models nobody requested pay nothing for it. A freed leaf is handed out again
    /// only once DRAW_HISTORY blocks have passed, so `leafOwner` is right for every drawable block.
    struct ModelTree {
        uint32 used; // leaves ever handed out, from the top down
        uint32 freedHead; // the next entry of `freed` to reuse
        uint64 lastDrawBlock; // the latest block marked as a draw block
        uint64 prevDrawBlock; // the one marked before it
        uint256[] freed; // `block << 32 | leaf`, in the order freed
        address[] servers; // the current owners of the leaves
        mapping(uint256 => uint256) node;
        mapping(uint256 => mapping(uint256 => uint256)) past;
        mapping(uint256 => address) leafOwner;
    }

    /// @dev The leaves a committee draw has taken out of the line, and the stake left in it.
    struct Taken {
        uint256[] leaves;
        uint256[] stakes;
        uint256 count;
        uint256 left;
    }

    uint256 public constant MAX_MODELS_PER_OPERATOR = 16;
    uint256 public constant TREE_CAPACITY = 1 << 16;
    uint64 public constant MAX_UNBONDING_PERIOD = 90 days;
    /// @notice How far back a draw may read the trees: the blocks whose hash `blockhash` still gives.
    uint256 public constant DRAW_HISTORY = 256;
    uint256 private constant VALUE_MASK = (1 << 160) - 1;
    uint256 private constant COUNT_MASK = (1 << 56) - 1;
    /// @dev The `atBlock` that reads the trees as they are now.
    uint256 private constant NOW = type(uint256).max;

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
    /// @notice Sum of every operator's bonded and unbonding stake: this contract's balance, less
    /// the fees credited to operators (`getOperator(..).fees`, paid out by `withdrawFees`).
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
    error DrawBlockOutOfRange(uint256 atBlock, uint256 currentBlock);

    event OperatorRegistered(address indexed operator, string name, string apiUrl, uint256 stake);
    event OperatorUpdated(address indexed operator, string name, string apiUrl);
    event StakeAdded(address indexed operator, uint256 amount, uint256 stake);
    /// @notice `amount` moved from stake to unbonding: `stake` bonded and `unbonding` in total remain.
    event UnbondingStarted(address indexed operator, uint256 amount, uint64 readyAt, uint256 stake, uint256 unbonding);
    event Withdrawn(address indexed operator, uint256 amount);
    /// @notice `amount` taken (from stake first, then unbonding); `stake` remains bonded.
    event Slashed(address indexed operator, address indexed slasher, uint256 amount, string reason, uint256 stake);
    /// @notice A duty done: `served` in total (its fee credited by the slasher: the Coprocessor
    /// in proved mode).
    event Served(address indexed operator, uint64 served);
    /// @notice A duty done by each of `operators` (a committee's majority), each credited `share`
    /// here, the first `first` (the share and the division's rest). One event for the committee:
    /// each operator's count is `getOperator(..).served`.
    event ServedBy(address[] operators, uint256 share, uint256 first);
    event FeesWithdrawn(address indexed operator, uint256 amount);
    /// @notice A duty missed: `missed` in total.
    event Missed(address indexed operator, uint64 missed);
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
        emit UnbondingStarted(msg.sender, amount, o.unbondingReadyAt, rest, o.unbonding);
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

    /// @inheritdoc INodeRegistry
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
        emit Slashed(operator, msg.sender, taken, reason, o.stake);
        if (taken > 0) {
            (bool ok,) = msg.sender.call{value: taken}("");
            if (!ok) revert WithdrawFailed(msg.sender, taken);
        }
    }

    /// @inheritdoc INodeRegistry
    /// @notice Counts a duty done. Requirements: the caller is a slasher.
    function recordServed(address operator) external onlySlasher {
        emit Served(operator, ++operators[operator].served);
    }

    /// @inheritdoc INodeRegistry
    /// @notice Counts `times` duties done by `operator` (a request batch), in one `Served` event.
    /// Requirements: the caller is a slasher.
    function recordServedTimes(address operator, uint64 times) external onlySlasher {
        emit Served(operator, operators[operator].served += times);
    }

    /// @inheritdoc INodeRegistry
    /// @notice Counts a duty done by each of `operators` (a committee's majority) and shares
    /// `msg.value` among them in equal parts (the rest of the division to the first), credited
    /// beside each one's counter (one write a member). Requirements: the caller is a slasher;
    /// `operators` is not empty.
    function recordServedBy(address[] calldata operators_) external payable onlySlasher {
        uint256 n = operators_.length;
        if (n == 0) revert InvalidAmount(0);
        uint256 share = msg.value / n;
        uint256 first = msg.value - share * (n - 1);
        for (uint256 i = 0; i < n; i++) {
            Operator storage o = operators[operators_[i]];
            (o.served, o.fees) = (o.served + 1, o.fees + SafeCast.toUint120(i == 0 ? first : share));
        }
        emit ServedBy(operators_, share, first);
    }

    /// @notice Sends the caller its credited fees (`recordServedBy`). Anyone with fees may
    /// withdraw them, registered or not: they are earned, not staked, and never slashed.
    /// Requirements: something is credited; the caller accepts ether.
    function withdrawFees() external {
        Operator storage o = operators[msg.sender];
        uint256 amount = o.fees;
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        o.fees = 0;
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert WithdrawFailed(msg.sender, amount);
        emit FeesWithdrawn(msg.sender, amount);
    }

    /// @inheritdoc INodeRegistry
    /// @notice Counts a duty missed. Requirements: the caller is a slasher.
    function recordMissed(address operator) external onlySlasher {
        emit Missed(operator, ++operators[operator].missed);
    }

    /// @inheritdoc INodeRegistry
    /// @notice Marks the current block as a draw block of `modelId` (a request or appeal made in
    /// it will be drawn from its hash): from now on the trees keep, for each node changed later,
    /// the value it held at the end of this block. Returns the model's stake now.
    /// Requirements: the caller is a slasher.
    function markDrawBlock(bytes32 modelId) external onlySlasher returns (uint256) {
        ModelTree storage t = trees[modelId];
        uint64 last = t.lastDrawBlock;
        if (last != block.number) {
            t.prevDrawBlock = last;
            t.lastDrawBlock = uint64(block.number);
        }
        return _at(t, TREE_CAPACITY, NOW);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc INodeRegistry
    /// @notice Whether `operator` is registered with at least `minStake` bonded (as of its last
    /// stake change or refresh).
    function isActive(address operator) public view returns (bool) {
        return operators[operator].activeIndex != 0;
    }

    /// @inheritdoc INodeRegistry
    /// @notice Whether `operator` can be drawn for `modelId`: active and opted in.
    function canServe(address operator, bytes32 modelId) public view returns (bool) {
        return serving[operator][modelId].leaf != 0;
    }

    function getOperator(address operator) external view returns (Operator memory) {
        return operators[operator];
    }

    /// @inheritdoc INodeRegistry
    function activeOperators() external view returns (address[] memory) {
        return active;
    }

    /// @inheritdoc INodeRegistry
    /// @notice The models `operator` has opted in to, whether or not it is active now.
    function servedModels(address operator) external view returns (bytes32[] memory) {
        return served[operator];
    }

    /// @inheritdoc INodeRegistry
    /// @notice The operators that can serve `modelId`, in no particular order.
    function serversOf(bytes32 modelId) external view returns (address[] memory) {
        return trees[modelId].servers;
    }

    /// @inheritdoc INodeRegistry
    /// @notice The summed stake of the operators that can serve `modelId`.
    function modelStake(bytes32 modelId) public view returns (uint256) {
        return _at(trees[modelId], TREE_CAPACITY, NOW);
    }

    /// @notice The stake `modelId`'s tree counts for `operator` (0 when it cannot serve it),
    /// read back from the tree.
    function servingStake(address operator, bytes32 modelId) external view returns (uint256) {
        uint256 leaf = serving[operator][modelId].leaf;
        return leaf == 0 ? 0 : _leafAt(trees[modelId], leaf, NOW);
    }

    /// @inheritdoc INodeRegistry
    /// @notice The operator owning the point `seed mod modelStake(modelId)` of the model's stake
    /// line now: each server is drawn with probability stake / modelStake. Reverts when nobody
    /// can serve the model. On chain, draws use `selectAt` (the stakes of a past block).
    function select(bytes32 modelId, uint256 seed) public view returns (address) {
        address a = _select(modelId, seed, NOW);
        if (a == address(0)) revert NoServer(modelId);
        return a;
    }

    /// @inheritdoc INodeRegistry
    /// @notice `select` over the stakes as they stood at the end of block `atBlock`: what the
    /// servers of `modelId` had staked and opted in to then, whatever changed since. A draw seeded
    /// by `blockhash(atBlock)` therefore cannot be steered by a stake change made once that hash
    /// is known. 0 when nobody could serve the model then. Exact for the blocks marked with
    /// `markDrawBlock` (every request's and appeal's block); another block may read a later value.
    /// Requirements: `atBlock` is one of the last DRAW_HISTORY blocks (not the current one).
    function selectAt(bytes32 modelId, uint256 seed, uint256 atBlock) external view returns (address) {
        _checkDrawBlock(atBlock);
        return _select(modelId, seed, atBlock);
    }

    /// @inheritdoc INodeRegistry
    /// @notice `size` distinct servers of `modelId` drawn by stake from `seed`, now (see
    /// `drawCommitteeAt`).
    function drawCommittee(bytes32 modelId, uint256 seed, uint256 size, uint256 minimum, address[] calldata exclude)
        external
        view
        returns (address[] memory)
    {
        return _drawCommittee(modelId, seed, size, minimum, exclude, NOW);
    }

    /// @inheritdoc INodeRegistry
    /// @notice `size` distinct servers of `modelId` as of the end of block `atBlock`, drawn by
    /// stake from `seed` without replacement (each draw picks among those not drawn yet, by
    /// stake), servers in `exclude` set aside and taken last, in the order drawn, only if too
    /// few others served; fewer than `size` when fewer served. The stakes, the opt-ins and the
    /// number of servers are all those of `atBlock`, so nothing done after it changes the result
    /// (exact for marked draw blocks, as `selectAt`).
    /// Requirements: `atBlock` is one of the last DRAW_HISTORY blocks (not the current one); at
    /// least `minimum` (and at least one) members, else `NotEnoughServers`.
    function drawCommitteeAt(
        bytes32 modelId,
        uint256 seed,
        uint256 size,
        uint256 minimum,
        address[] calldata exclude,
        uint256 atBlock
    ) external view returns (address[] memory) {
        _checkDrawBlock(atBlock);
        return _drawCommittee(modelId, seed, size, minimum, exclude, atBlock);
    }

    // ---------------------------------------------------------------- internal

    function _checkDrawBlock(uint256 atBlock) private view {
        if (atBlock >= block.number || block.number - atBlock > DRAW_HISTORY) {
            revert DrawBlockOutOfRange(atBlock, block.number);
        }
    }

    function _select(bytes32 modelId, uint256 seed, uint256 atBlock) private view returns (address) {
        ModelTree storage t = trees[modelId];
        uint256 total = _at(t, TREE_CAPACITY, atBlock);
        if (total == 0) return address(0);
        (uint256 leaf,) = _find(t, seed % total, atBlock, Taken(new uint256[](0), new uint256[](0), 0, total));
        return t.leafOwner[leaf];
    }

    /// @dev Sampling without replacement: every leaf drawn (member or excluded) is taken out of
    /// the line for the next draw, so at most `size + exclude.length` draws are made.
    function _drawCommittee(
        bytes32 modelId,
        uint256 seed,
        uint256 size,
        uint256 minimum,
        address[] calldata exclude,
        uint256 atBlock
    ) private view returns (address[] memory members) {
        ModelTree storage t = trees[modelId];
        Taken memory taken = Taken(new uint256[](size + exclude.length), new uint256[](size + exclude.length), 0, _at(t, TREE_CAPACITY, atBlock));
        members = new address[](size);
        address[] memory setAside = new address[](exclude.length);
        uint256 n;
        uint256 m;
        while (n < size && taken.left != 0) {
            address a = _take(t, taken, uint256(keccak256(abi.encode(seed, taken.count))), atBlock);
            if (_containsCalldata(exclude, a)) setAside[m++] = a;
            else members[n++] = a;
        }
        for (uint256 i = 0; n < size && i < m; i++) members[n++] = setAside[i];
        if (n < minimum || n == 0) revert NotEnoughServers(modelId, n, minimum);
        assembly ("memory-safe") {
            mstore(members, n)
        }
    }

    /// @dev Draws the owner of the point `random mod taken.left` of the line without the leaves
    /// taken so far, and takes its leaf out.
    function _take(ModelTree storage t, Taken memory taken, uint256 random, uint256 atBlock) private view returns (address) {
        (uint256 leaf, uint256 stake) = _find(t, random % taken.left, atBlock, taken);
        uint256 count = taken.count;
        taken.leaves[count] = leaf;
        taken.stakes[count] = stake;
        // The stake found lies in the line left (it covers a point below `left`).
        unchecked {
            taken.count = count + 1;
            taken.left -= stake;
        }
        return t.leafOwner[leaf];
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
            uint256 head = t.freedHead;
            // A freed leaf may still be drawn at a past block for its old owner until
            // DRAW_HISTORY blocks have passed; until then a new leaf is taken.
            if (head < t.freed.length && (t.freed[head] >> 32) + DRAW_HISTORY < block.number) {
                leaf = uint32(t.freed[head]);
                delete t.freed[head];
                t.freedHead = uint32(head + 1);
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
            t.freed.push((block.number << 32) | leaf);
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
        for (uint256 i = leaf; i <= TREE_CAPACITY; i += i & (~i + 1)) _set(t, i, _at(t, i, NOW) + amount);
    }

    function _sub(ModelTree storage t, uint256 leaf, uint256 amount) private {
        for (uint256 i = leaf; i <= TREE_CAPACITY; i += i & (~i + 1)) _set(t, i, _at(t, i, NOW) - amount);
    }

    /// @dev Sets node `i` to `value` in this block. Its value so far goes to `past` when a draw
    /// block lies between the block it was set in and this one (the latest marked before this
    /// block is the one to look at: any such draw block makes it at least `since`).
    function _set(ModelTree storage t, uint256 i, uint256 value) private {
        if (value > VALUE_MASK) revert InvalidAmount(value);
        uint256 cur = t.node[i];
        uint256 since = cur >> 216;
        uint256 count = (cur >> 160) & COUNT_MASK;
        if (cur != 0 && since != block.number) {
            uint256 lastDraw = t.lastDrawBlock < block.number ? t.lastDrawBlock : t.prevDrawBlock;
            if (lastDraw >= since) {
                t.past[i][count] = (since << 192) | (cur & VALUE_MASK);
                count += 1;
            }
        }
        t.node[i] = (block.number << 216) | (count << 160) | value;
    }

    /// @dev Node `i`'s value at the end of block `atBlock` (NOW: its value now): the current one
    /// when set at or before then, else the last earlier one, by binary search in `past`. Exact
    /// for marked draw blocks (and NOW); other blocks may read a value that skipped them.
    function _at(ModelTree storage t, uint256 i, uint256 atBlock) private view returns (uint256) {
        uint256 cur = t.node[i];
        if (cur >> 216 <= atBlock) return cur & VALUE_MASK;
        mapping(uint256 => uint256) storage past = t.past[i];
        uint256 lo = 0;
        uint256 hi = (cur >> 160) & COUNT_MASK;
        while (lo < hi) {
            uint256 mid = (lo + hi) >> 1;
            if (past[mid] >> 192 <= atBlock) lo = mid + 1;
            else hi = mid;
        }
        return lo == 0 ? 0 : past[lo - 1] & ((1 << 192) - 1);
    }

    /// @dev Leaf `leaf`'s own stake at `atBlock`: its node less the nodes of its children.
    function _leafAt(ModelTree storage t, uint256 leaf, uint256 atBlock) private view returns (uint256 value) {
        value = _at(t, leaf, atBlock);
        uint256 stop = leaf - (leaf & (~leaf + 1));
        for (uint256 j = leaf - 1; j > stop; j -= j & (~j + 1)) value -= _at(t, j, atBlock);
    }

    /// @dev The leaf whose stake covers `point` (< `taken.left`), and that stake: the first leaf
    /// whose prefix sum at `atBlock` exceeds the point, counting the taken leaves as empty, by
    /// descent over the 16 levels of the tree. The leaf's stake comes from the nodes the descent
    /// read: the last node it did not step past (the leaf's own node) less those it stepped past
    /// after it (the leaf's children). Nodes over leaves never handed out are not read (they are 0).
    function _find(ModelTree storage t, uint256 point, uint256 atBlock, Taken memory taken)
        private
        view
        returns (uint256, uint256 stake)
    {
        uint256 pos;
        stake = taken.left;
        // Leaves are handed out from the top down: leaves 1..empty never held stake at any block,
        // so a node covering only them is 0 and is stepped past without reading it.
        uint256 empty = TREE_CAPACITY - t.used;
        uint256 count = taken.count;
        uint256[] memory leaves = taken.leaves;
        uint256[] memory stakes = taken.stakes;
        // Positions and levels stay below 2^17; the value subtractions cannot wrap: a taken
        // stake above its node reverts, `v <= point` guards `point`, and `point < stake`.
        unchecked {
            for (uint256 k = TREE_CAPACITY >> 1; k != 0; k >>= 1) {
                uint256 end = pos + k;
                if (end <= empty) {
                    pos = end;
                    continue;
                }
                uint256 v = _at(t, end, atBlock);
                // Node `end` covers the leaves (pos, end].
                for (uint256 j = 0; j < count; j++) {
                    uint256 leaf = leaves[j];
                    if (leaf > pos && leaf <= end) {
                        uint256 s = stakes[j];
                        if (s > v) revert InvalidAmount(s);
                        v -= s;
                    }
                }
                if (v <= point) {
                    pos = end;
                    point -= v;
                    stake -= v;
                } else {
                    stake = v;
                }
            }
        }
        return (pos + 1, stake);
    }
}
