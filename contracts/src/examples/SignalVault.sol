// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {VerityConsumer} from "../VerityConsumer.sol";
import {ICoprocessor} from "../interfaces/ICoprocessor.sol";
import {IRebalanceExecutor} from "../interfaces/IRebalanceExecutor.sol";

/// @title SignalVault
/// @notice A vault whose risk allocation follows a proved market-signal model. The vault's price
/// oracle records prices on chain; the model input is the last 8 returns computed here from
/// those prices (so nobody can feed the model a made-up history), and the proved signal (the
/// predicted mean return of the next 4 periods, in units of 100 bp) sets the share of the vault
/// held in the risk asset: `riskBps = 5000 + signal * sensitivityBps`, clipped to
/// [minRiskBps, maxRiskBps]. An executor, when set, carries the allocation out.
/// Shares are priced as OpenZeppelin's ERC4626 does against the first-depositor donation attack:
/// `10 ** SHARE_OFFSET` virtual shares and 1 virtual wei sit in the vault, so an attacker who
/// donates to move the share price pays for it (most of the donation goes to the virtual shares
/// and the next depositors), and every conversion rounds down, in the vault's favour.
contract SignalVault is VerityConsumer {
    uint256 public constant WINDOW = 8;
    /// @notice Returns are clipped to +-1000 bp and divided by 1000: the same as models/signal/simulate.ts.
    int256 public constant RETURN_CAP_BP = 1000;
    uint32 public constant CALLBACK_GAS = 150_000;
    /// @notice Decimals of shares over wei: 1 wei deposited into an empty vault mints 10 ** 6 shares.
    uint8 public constant SHARE_OFFSET = 6;

    bytes32 public immutable modelId;
    uint8 public immutable inputScale;
    uint8 public immutable outputScale;
    address public oracle;
    address public owner;
    IRebalanceExecutor public executor;
    int256 public sensitivityBps = 2500;
    uint256 public minRiskBps = 1000;
    uint256 public maxRiskBps = 9000;

    uint256[] public prices;
    uint256 public riskBps = 5000;
    int256 public lastSignal;
    uint256 public pendingRequest;
    uint256 public totalShares;
    mapping(address => uint256) public shares;

    error OnlyOracle(address caller);
    error OnlyOwner(address caller);
    error NotEnoughPrices(uint256 have, uint256 need);
    error RebalancePending(uint256 requestId);
    error ZeroPrice();
    error InsufficientShares(uint256 have, uint256 want);
    error ZeroShares(uint256 assets);

    event PriceRecorded(uint256 indexed index, uint256 price);
    event RebalanceRequested(uint256 indexed requestId, bytes input);
    event Rebalanced(uint256 indexed requestId, int256 signal, uint256 fromBps, uint256 toBps);
    event Deposited(address indexed who, uint256 amount, uint256 shares);
    event Withdrawn(address indexed who, uint256 amount, uint256 shares);

    constructor(ICoprocessor coprocessor_, bytes32 modelId_, uint8 inputScale_, address oracle_) VerityConsumer(coprocessor_) {
        modelId = modelId_;
        inputScale = inputScale_;
        outputScale = _outputScale(modelId_);
        oracle = oracle_;
        owner = msg.sender;
    }

    function recordPrice(uint256 price) external {
        if (msg.sender != oracle) revert OnlyOracle(msg.sender);
        if (price == 0) revert ZeroPrice();
        prices.push(price);
        emit PriceRecorded(prices.length - 1, price);
    }

    function fee() external view returns (uint256) {
        return coprocessor.quote(modelId, CALLBACK_GAS);
    }

    /// @notice The model input: the last WINDOW returns in bp / 1000, one byte each.
    function features() public view returns (bytes memory input) {
        uint256 n = prices.length;
        if (n < WINDOW + 1) revert NotEnoughPrices(n, WINDOW + 1);
        input = new bytes(WINDOW);
        for (uint256 i = 0; i < WINDOW; i++) {
            int256 p0 = int256(prices[n - WINDOW - 1 + i]);
            int256 p1 = int256(prices[n - WINDOW + i]);
            int256 bp = ((p1 - p0) * 10_000) / p0; // truncates toward zero, as the simulation does
            if (bp > RETURN_CAP_BP) bp = RETURN_CAP_BP;
            if (bp < -RETURN_CAP_BP) bp = -RETURN_CAP_BP;
            input[i] = _inputByte(bp, uint256(RETURN_CAP_BP), inputScale);
        }
    }

    /// @notice Anyone (a keeper) pays for a fresh signal; the callback moves the allocation.
    function rebalance() external payable returns (uint256 requestId) {
        if (pendingRequest != 0) revert RebalancePending(pendingRequest);
        bytes memory input = features();
        requestId = _ask(modelId, input, CALLBACK_GAS, msg.value);
        pendingRequest = requestId;
        emit RebalanceRequested(requestId, input);
    }

    function _onResult(uint256 requestId, bytes calldata output) internal override {
        if (requestId != pendingRequest) revert UnknownRequest(requestId);
        pendingRequest = 0;
        int256 signal = abi.decode(output, (int256[]))[0];
        uint256 from = riskBps;
        riskBps = targetFor(signal);
        lastSignal = signal;
        emit Rebalanced(requestId, signal, from, riskBps);
        if (address(executor) != address(0)) {
            // A failing executor must not undo the new target; it can be retried off this path.
            try executor.rebalance(riskBps, signal) {} catch {}
        }
    }

    function _onRefunded(uint256) internal override {
        pendingRequest = 0;
    }

    /// @notice The allocation a signal (fixed point at `outputScale`, 100 bp units) asks for.
    function targetFor(int256 signal) public view returns (uint256) {
        int256 t = 5000 + (signal * sensitivityBps) / (int256(1) << outputScale);
        if (t < int256(minRiskBps)) return minRiskBps;
        if (t > int256(maxRiskBps)) return maxRiskBps;
        return uint256(t);
    }

    /// @notice The assets the shares stand for: the vault's whole balance (donations included).
    function totalAssets() public view returns (uint256) {
        return address(this).balance;
    }

    /// @notice Shares `assets` wei would mint now (rounded down).
    function convertToShares(uint256 assets) public view returns (uint256) {
        return _toShares(assets, totalAssets());
    }

    /// @notice Wei `shareAmount` shares would redeem now (rounded down).
    function convertToAssets(uint256 shareAmount) public view returns (uint256) {
        return (shareAmount * (totalAssets() + 1)) / (totalShares + 10 ** SHARE_OFFSET);
    }

    /// @notice Deposits `msg.value` for shares at the current price, rounded down.
    /// Requirements:
    /// - the deposit buys at least one share (ZeroShares otherwise: nothing is swallowed).
    function deposit() external payable returns (uint256 minted) {
        minted = _toShares(msg.value, totalAssets() - msg.value);
        if (minted == 0) revert ZeroShares(msg.value);
        shares[msg.sender] += minted;
        totalShares += minted;
        emit Deposited(msg.sender, msg.value, minted);
    }

    /// @notice Redeems `amount` shares for their wei, rounded down.
    /// Requirements:
    /// - the caller holds at least `amount` shares.
    function withdraw(uint256 amount) external returns (uint256 assets) {
        if (shares[msg.sender] < amount) revert InsufficientShares(shares[msg.sender], amount);
        assets = convertToAssets(amount);
        shares[msg.sender] -= amount;
        totalShares -= amount;
        emit Withdrawn(msg.sender, assets, amount);
        _pay(msg.sender, assets);
    }

    function setPolicy(int256 sensitivityBps_, uint256 minRiskBps_, uint256 maxRiskBps_, IRebalanceExecutor executor_) external {
        if (msg.sender != owner) revert OnlyOwner(msg.sender);
        sensitivityBps = sensitivityBps_;
        minRiskBps = minRiskBps_;
        maxRiskBps = maxRiskBps_;
        executor = executor_;
    }

    function priceCount() external view returns (uint256) {
        return prices.length;
    }

    function _toShares(uint256 assets, uint256 held) private view returns (uint256) {
        return (assets * (totalShares + 10 ** SHARE_OFFSET)) / (held + 1);
    }
}
