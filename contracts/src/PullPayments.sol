// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IPullPayments} from "./interfaces/IPullPayments.sol";

/// @title PullPayments
/// @notice What a contract owes to accounts, paid out only when each account withdraws: the
/// Coprocessor (fees, refunds) and the Committee (rewards, returned bonds) keep their books here.
abstract contract PullPayments is IPullPayments {
    mapping(address => uint256) public balanceOf;
    /// @notice Wei owed to accounts (withdrawable): the sum of every `balanceOf`.
    uint256 public totalOwed;

    error NothingToWithdraw(address account);
    error WithdrawFailed(address account, uint256 amount);

    event Withdrawn(address indexed account, uint256 amount);

    /// @inheritdoc IPullPayments
    /// @notice Pays out the caller's balance.
    /// Requirements: the balance is not zero; the caller accepts ether.
    function withdraw() external {
        uint256 amount = balanceOf[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        balanceOf[msg.sender] = 0;
        totalOwed -= amount;
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert WithdrawFailed(msg.sender, amount);
        emit Withdrawn(msg.sender, amount);
    }

    /// @dev Credits `amount` to `to`'s withdrawable balance.
    function _owe(address to, uint256 amount) internal {
        totalOwed += amount;
        balanceOf[to] += amount;
    }
}
