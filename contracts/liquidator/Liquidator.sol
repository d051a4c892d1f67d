// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Only the Pool functions the liquidator calls. Their signatures are the same from Aave 3.0 to 3.6
/// (IPool.flashLoanSimple, IPool.liquidationCall).
interface IAavePool {
    function flashLoanSimple(
        address receiverAddress,
        address asset,
        uint256 amount,
        bytes calldata params,
        uint16 referralCode
    ) external;

    function liquidationCall(
        address collateralAsset,
        address debtAsset,
        address user,
        uint256 debtToCover,
        bool receiveAToken
    ) external;
}

/// Uniswap V3 periphery's original SwapRouter: its params carry a deadline.
interface IUniswapV3SwapRouter {
    struct ExactInputParams {
        bytes path;
        address recipient;
        uint256 deadline;
        uint256 amountIn;
        uint256 amountOutMinimum;
    }

    function exactInput(ExactInputParams calldata params) external payable returns (uint256 amountOut);
}

/// Uniswap's SwapRouter02 (swap-router-contracts, IV3SwapRouter): no deadline in the params. The only
/// router on some chains (Base).
interface IUniswapSwapRouter02 {
    struct ExactInputParams {
        bytes path;
        address recipient;
        uint256 amountIn;
        uint256 amountOutMinimum;
    }

    function exactInput(ExactInputParams calldata params) external payable returns (uint256 amountOut);
}

interface IERC20Like {
    function balanceOf(address account) external view returns (uint256);
    function allowance(address owner, address spender) external view returns (uint256);
    function approve(address spender, uint256 amount) external returns (bool);
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
}

/// @title Liquidator
/// @notice Liquidates Aave V3 positions, many in one transaction, each guarded. The owner passes loans;
///         a loan is one debt asset's money, flash-borrowed from the pool (flashLoanSimple) or pulled
///         from the owner (who approved this contract), and the liquidations (items) it pays for. Per
///         loan: each item's liquidationCall runs on its own, and an item that reverts (someone else
///         liquidated the account first, or it is healthy again) is skipped with an event while the
///         rest go on; the collateral the items seized is sold for the debt asset on Uniswap V3 along
///         the owner's paths; the loan is repaid and what is left, with the collateral no swap sold,
///         goes to the owner. A loan whose items were all skipped, or whose profit falls short of the
///         items' minimums, fails on its own (an event says why) and moves nothing: the next loan goes
///         on. The call itself never reverts for what its loans met (only for the owner, the
///         deadline or an empty call): a transaction that lands after a competitor took its
///         accounts costs its gas, not a revert; the events say what became of each item.
/// @dev After every call the contract holds no token and no allowance: approvals are for exact
///      amounts and what the pool or the router did not take is cleared; everything a loan leaves
///      goes to the owner.
contract Liquidator {
    enum Funding {
        FlashLoan,
        Owner
    }

    struct Item {
        address collateralAsset;
        /// the borrower being liquidated
        address user;
        /// passed to liquidationCall as is (2^256-1 allowed: the pool caps it)
        uint256 debtToCover;
        /// debt-asset units this item adds to its loan's required profit, counted only if it is liquidated
        uint256 minProfit;
    }

    struct Swap {
        /// Uniswap V3 packed path from a collateral asset to the loan's debt asset (token, fee, token[, fee, token]...)
        bytes path;
        /// least output per unit of input, scaled by OUT_PER_IN_SCALE (1e36):
        /// amountOutMinimum = amountIn * minOutPerIn / 1e36
        uint256 minOutPerIn;
    }

    struct Loan {
        address debtAsset;
        /// flash-borrowed with flashLoanSimple, or (Owner) pulled from the owner with transferFrom
        uint256 amount;
        Funding funding;
        Item[] items;
        /// each sells everything this loan's liquidated items seized of the path's first token;
        /// collateral no swap names goes to the owner
        Swap[] swaps;
    }

    event Liquidated(
        address indexed user,
        address indexed collateralAsset,
        address indexed debtAsset,
        uint256 debtRepaid,
        uint256 collateralSeized
    );
    event Skipped(address indexed user, address indexed debtAsset, uint256 loan, bytes reason);
    event LoanSettled(uint256 indexed loan, address indexed debtAsset, uint256 profit);
    event LoanFailed(uint256 indexed loan, address indexed debtAsset, bytes reason);
    /// a swap of a loan: what it sold of `tokenIn` and what it got of the debt asset
    event Swapped(uint256 indexed loan, address indexed tokenIn, uint256 amountIn, uint256 amountOut);

    error NotOwner();
    error NotPool();
    error NotInitiator();
    error NotSelf();
    error Expired(uint256 deadline);
    error NothingToLiquidate();
    error AllSkipped(bytes firstReason);
    error BadSwapPath(uint256 loan, uint256 swap);
    error ProfitBelowMinimum(uint256 loan, uint256 profit, uint256 minProfit);
    error TokenCallFailed(address token);

    address public immutable owner;
    IAavePool public immutable pool;
    address public immutable swapRouter;
    /// true: swapRouter is a SwapRouter02 (no deadline in its params); false: the original SwapRouter
    bool public immutable swapRouter02;

    /// Swap.minOutPerIn's scale. At 1e18 a cheap 18-decimal collateral sold for an 8-decimal debt asset
    /// has too few steps: a DAI wei buys 1.7e-15 WBTC units, minOutPerIn would be ~1,700, and rounding
    /// it up would ask up to 6 bps more than the quote's minimum.
    uint256 private constant OUT_PER_IN_SCALE = 1e36;
    /// Uniswap V3 path encoding: 20-byte address, then (3-byte fee, 20-byte address) per hop.
    uint256 private constant ADDRESS_BYTES = 20;
    uint256 private constant HOP_BYTES = 23;

    /// What a loan's items seized, per collateral asset (not the debt asset), and what they add up to.
    struct Seized {
        address[] assets;
        uint256[] amounts;
        uint256 count;
        uint256 repaid;
        uint256 minProfit;
    }

    constructor(address pool_, address swapRouter_, bool swapRouter02_) {
        owner = msg.sender;
        pool = IAavePool(pool_);
        swapRouter = swapRouter_;
        swapRouter02 = swapRouter02_;
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    /// The external functions this contract calls on itself, to run a part in its own frame and catch
    /// its revert.
    modifier onlySelf() {
        if (msg.sender != address(this)) revert NotSelf();
        _;
    }

    /// @notice Runs the loans in order; returns each one's profit (debt-asset units the owner received
    ///         beyond what the loan cost; 0 for a loan that failed). `deadline` bounds the whole call.
    function liquidate(Loan[] calldata loans, uint256 deadline)
        external
        onlyOwner
        returns (uint256[] memory profits)
    {
        if (block.timestamp > deadline) revert Expired(deadline);
        if (loans.length == 0) revert NothingToLiquidate();
        profits = new uint256[](loans.length);
        for (uint256 i = 0; i < loans.length; i++) {
            (bool ok,, uint256 profit) = _settleLoan(i, loans[i], deadline);
            if (ok) profits[i] = profit;
        }
    }

    /// @notice Aave's flash-loan callback (IFlashLoanSimpleReceiver). Only the pool may call it, and
    ///         only for a loan this contract took (initiator), i.e. from `liquidate`.
    function executeOperation(
        address,
        uint256 amount,
        uint256 premium,
        address initiator,
        bytes calldata params
    ) external returns (bool) {
        if (msg.sender != address(pool)) revert NotPool();
        if (initiator != address(this)) revert NotInitiator();
        (uint256 index, Loan memory loan, uint256 deadline, uint256 before) =
            abi.decode(params, (uint256, Loan, uint256, uint256));
        uint256 owed = amount + premium;
        _runLoan(index, loan, deadline, before, owed, true);
        // The pool pulls the loan and its premium (FlashLoanLogic._handleFlashLoanRepayment): all of
        // this allowance, none is left afterwards.
        _approve(loan.debtAsset, address(pool), owed);
        return true;
    }

    /// @notice An owner-funded loan, run in its own frame so that `liquidate` catches its failure.
    ///         Self only.
    function ownerFundedLoan(uint256 index, Loan calldata loan, uint256 deadline, uint256 before) external onlySelf {
        address debt = loan.debtAsset;
        if (!_tryCall(debt, abi.encodeCall(IERC20Like.transferFrom, (owner, address(this), loan.amount)))) {
            revert TokenCallFailed(debt);
        }
        // Without a swap the owner's profit is the collateral it receives: nothing to check in debt units.
        uint256 remaining = _runLoan(index, loan, deadline, before, loan.amount, loan.swaps.length > 0);
        if (remaining > 0) _approve(debt, address(pool), 0);
    }

    /// @notice One liquidationCall in its own frame, so that the loan catches its revert and goes on;
    ///         returns what it repaid and seized (balance deltas). Self only.
    function liquidateItem(address collateralAsset, address debtAsset, address user, uint256 debtToCover)
        external
        onlySelf
        returns (uint256 debtRepaid, uint256 collateralSeized)
    {
        uint256 debtBefore = _balanceOf(debtAsset);
        if (collateralAsset == debtAsset) {
            // One balance moves both ways: the pool's pull is told by the allowance it used.
            uint256 allowanceBefore = IERC20Like(debtAsset).allowance(address(this), address(pool));
            pool.liquidationCall(collateralAsset, debtAsset, user, debtToCover, false);
            debtRepaid = allowanceBefore - IERC20Like(debtAsset).allowance(address(this), address(pool));
            collateralSeized = _balanceOf(debtAsset) + debtRepaid - debtBefore;
        } else {
            uint256 collateralBefore = _balanceOf(collateralAsset);
            pool.liquidationCall(collateralAsset, debtAsset, user, debtToCover, false);
            debtRepaid = debtBefore - _balanceOf(debtAsset);
            collateralSeized = _balanceOf(collateralAsset) - collateralBefore;
        }
    }

    /// @notice Sends the contract's whole balance of `token` to the owner (tokens sent here by mistake).
    function sweep(address token) external onlyOwner {
        uint256 balance = _balanceOf(token);
        if (balance > 0) _transfer(token, owner, balance);
    }

    /// One loan, guarded: its money borrowed or pulled, its body run in a frame of its own (the pool's
    /// flash loan, or a call to ownerFundedLoan); what it leaves sent to the owner (LoanSettled), or its
    /// revert caught (LoanFailed).
    function _settleLoan(uint256 index, Loan calldata loan, uint256 deadline)
        private
        returns (bool ok, bytes memory reason, uint256 profit)
    {
        address debt = loan.debtAsset;
        // Normally zero: what was there before is not profit (and never pays for a loss).
        uint256 before = _balanceOf(debt);
        bool flash = loan.funding == Funding.FlashLoan;
        if (flash) {
            try pool.flashLoanSimple(address(this), debt, loan.amount, abi.encode(index, loan, deadline, before), 0) {
                ok = true;
            } catch (bytes memory r) {
                reason = r;
            }
        } else {
            try this.ownerFundedLoan(index, loan, deadline, before) {
                ok = true;
            } catch (bytes memory r) {
                reason = r;
            }
        }
        if (!ok) {
            emit LoanFailed(index, debt, reason);
            return (false, reason, 0);
        }
        // The flash loan and its premium are repaid; an owner-funded loan's principal is still here.
        uint256 balance = _balanceOf(debt);
        uint256 back = flash ? before : before + loan.amount;
        profit = balance > back ? balance - back : 0;
        if (balance > 0) _transfer(debt, owner, balance);
        emit LoanSettled(index, debt, profit);
    }

    /// The loan once its money is here (`owed` of the debt asset to leave beside `before`): the items,
    /// the swaps, the collateral no swap sold to the owner, the profit check. Returns the pool's
    /// allowance left (the loan's amount less what the items repaid).
    function _runLoan(
        uint256 index,
        Loan memory loan,
        uint256 deadline,
        uint256 before,
        uint256 owed,
        bool checkProfit
    ) private returns (uint256 allowanceLeft) {
        address debt = loan.debtAsset;
        _checkSwaps(index, loan);
        // The pool pulls each item's debt (LiquidationLogic: safeTransferFrom of the actual debt).
        _approve(debt, address(pool), loan.amount);
        Seized memory seized = _liquidateItems(index, loan);
        allowanceLeft = loan.amount - seized.repaid;

        _sellSeized(index, loan.swaps, seized, deadline);
        for (uint256 j = 0; j < seized.count; j++) {
            if (seized.amounts[j] > 0) _transfer(seized.assets[j], owner, seized.amounts[j]);
        }

        if (checkProfit) {
            uint256 balance = _balanceOf(debt);
            if (balance < before + owed + seized.minProfit) {
                uint256 profit = balance > before + owed ? balance - before - owed : 0;
                revert ProfitBelowMinimum(index, profit, seized.minProfit);
            }
        }
    }

    /// Each swap sells what the loan's items seized of its first token (Swapped says what it got).
    function _sellSeized(uint256 index, Swap[] memory swaps, Seized memory seized, uint256 deadline) private {
        for (uint256 k = 0; k < swaps.length; k++) {
            Swap memory s = swaps[k];
            address token = _firstToken(s.path);
            uint256 amountIn = _take(seized, token);
            // Nothing seized of it (its items were skipped). SwapRouter02 would read 0 as "the router's
            // whole balance": never pass it.
            if (amountIn == 0) continue;
            uint256 amountOut = _swap(s.path, token, amountIn, (amountIn * s.minOutPerIn) / OUT_PER_IN_SCALE, deadline);
            emit Swapped(index, token, amountIn, amountOut);
        }
    }

    /// Each item in its own frame: a revert is a Skipped event. Reverts AllSkipped when none went through.
    function _liquidateItems(uint256 index, Loan memory loan) private returns (Seized memory seized) {
        Item[] memory items = loan.items;
        address debt = loan.debtAsset;
        seized.assets = new address[](items.length);
        seized.amounts = new uint256[](items.length);
        bool any;
        bytes memory firstReason;
        for (uint256 j = 0; j < items.length; j++) {
            Item memory it = items[j];
            try this.liquidateItem(it.collateralAsset, debt, it.user, it.debtToCover) returns (
                uint256 repaid,
                uint256 collateral
            ) {
                emit Liquidated(it.user, it.collateralAsset, debt, repaid, collateral);
                any = true;
                seized.repaid += repaid;
                seized.minProfit += it.minProfit;
                // Collateral in the debt asset itself stays in the loan's balance.
                if (it.collateralAsset != debt) _add(seized, it.collateralAsset, collateral);
            } catch (bytes memory reason) {
                if (j == 0) firstReason = reason;
                emit Skipped(it.user, debt, index, reason);
            }
        }
        // Nothing to repay with: fail the loan, so that no premium is paid and nothing moves.
        if (!any) revert AllSkipped(firstReason);
    }

    /// Sells `amountIn` of `token` along `path` for the debt asset and returns what it got; what the
    /// router does not take (a pool out of liquidity) goes to the owner, and its allowance is cleared.
    function _swap(bytes memory path, address token, uint256 amountIn, uint256 amountOutMinimum, uint256 deadline)
        private
        returns (uint256 amountOut)
    {
        _approve(token, swapRouter, amountIn);
        if (swapRouter02) {
            amountOut = IUniswapSwapRouter02(swapRouter).exactInput(
                IUniswapSwapRouter02.ExactInputParams({
                    path: path,
                    recipient: address(this),
                    amountIn: amountIn,
                    amountOutMinimum: amountOutMinimum
                })
            );
        } else {
            amountOut = IUniswapV3SwapRouter(swapRouter).exactInput(
                IUniswapV3SwapRouter.ExactInputParams({
                    path: path,
                    recipient: address(this),
                    deadline: deadline,
                    amountIn: amountIn,
                    amountOutMinimum: amountOutMinimum
                })
            );
        }
        uint256 rest = _balanceOf(token);
        if (rest > 0) {
            _approve(token, swapRouter, 0);
            _transfer(token, owner, rest);
        }
    }

    /// Every swap path must be well formed, start at another token than the debt asset and end at it.
    function _checkSwaps(uint256 index, Loan memory loan) private pure {
        for (uint256 k = 0; k < loan.swaps.length; k++) {
            bytes memory path = loan.swaps[k].path;
            uint256 n = path.length;
            bool fits = n >= ADDRESS_BYTES + HOP_BYTES && (n - ADDRESS_BYTES) % HOP_BYTES == 0;
            if (fits) {
                address last;
                assembly {
                    last := shr(96, mload(add(add(path, 32), sub(n, 20))))
                }
                fits = last == loan.debtAsset && _firstToken(path) != loan.debtAsset;
            }
            if (!fits) revert BadSwapPath(index, k);
        }
    }

    function _firstToken(bytes memory path) private pure returns (address first) {
        assembly {
            first := shr(96, mload(add(path, 32)))
        }
    }

    function _add(Seized memory seized, address asset, uint256 amount) private pure {
        for (uint256 j = 0; j < seized.count; j++) {
            if (seized.assets[j] == asset) {
                seized.amounts[j] += amount;
                return;
            }
        }
        seized.assets[seized.count] = asset;
        seized.amounts[seized.count] = amount;
        seized.count++;
    }

    /// What was seized of `asset` and is not sold yet; marks it sold.
    function _take(Seized memory seized, address asset) private pure returns (uint256 amount) {
        for (uint256 j = 0; j < seized.count; j++) {
            if (seized.assets[j] == asset) {
                amount = seized.amounts[j];
                seized.amounts[j] = 0;
                return amount;
            }
        }
    }

    function _balanceOf(address token) private view returns (uint256) {
        return IERC20Like(token).balanceOf(address(this));
    }

    function _transfer(address token, address to, uint256 amount) private {
        if (!_tryCall(token, abi.encodeCall(IERC20Like.transfer, (to, amount)))) revert TokenCallFailed(token);
    }

    /// Sets an exact allowance. Tokens like USDT refuse to change a non-zero allowance to another
    /// non-zero one, so on refusal the allowance is cleared first (as OpenZeppelin's forceApprove).
    function _approve(address token, address spender, uint256 amount) private {
        bytes memory approveCall = abi.encodeCall(IERC20Like.approve, (spender, amount));
        if (_tryCall(token, approveCall)) return;
        if (!_tryCall(token, abi.encodeCall(IERC20Like.approve, (spender, 0))) || !_tryCall(token, approveCall)) {
            revert TokenCallFailed(token);
        }
    }

    /// True when the call succeeded and returned nothing (tokens that return no bool) or true.
    function _tryCall(address token, bytes memory data) private returns (bool) {
        (bool ok, bytes memory ret) = token.call(data);
        if (!ok) return false;
        if (ret.length == 0) return token.code.length > 0;
        return ret.length >= 32 && abi.decode(ret, (bool));
    }
}
