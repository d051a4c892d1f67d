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

/// Uniswap V3 periphery's original SwapRouter (its params carry a deadline; SwapRouter02's do not).
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

interface IERC20Like {
    function balanceOf(address account) external view returns (uint256);
    function approve(address spender, uint256 amount) external returns (bool);
    function transfer(address to, uint256 amount) external returns (bool);
}

/// @title Liquidator
/// @notice Liquidates Aave V3 positions with borrowed money. For each liquidation it flash-borrows the
///         debt asset from the pool (flashLoanSimple), calls liquidationCall, swaps the seized
///         collateral for the debt asset on Uniswap V3 along the path the owner passes, lets the pool
///         pull back the loan and its premium, and sends what is left (the profit, in the debt asset)
///         to the owner. It reverts unless each liquidation's profit reaches the owner's minimum.
/// @dev A batch is a sequence of flash loans, one per liquidation, all in one transaction and all or
///      nothing: any liquidation that reverts reverts the whole call. After every call the contract
///      holds no token and no allowance: approvals are for exact amounts and the pool and the router
///      take them whole; the debt asset and the collateral left over are swept to the owner.
contract Liquidator {
    struct Liquidation {
        address collateralAsset;
        address debtAsset;
        /// the borrower being liquidated
        address user;
        /// flash-borrowed and passed to liquidationCall; the pool caps what it takes (close factor,
        /// collateral available) and the unused part simply goes back with the loan
        uint256 debtToCover;
        /// Uniswap V3 path from collateralAsset to debtAsset (token, fee, token[, fee, token]...);
        /// empty when both are the same asset
        bytes swapPath;
        /// least debt asset the swap of the whole seized collateral must return
        uint256 minAmountOut;
        /// least debt asset left for the owner once loan and premium are repaid
        uint256 minProfit;
    }

    event Liquidated(
        address indexed user,
        address indexed collateralAsset,
        address indexed debtAsset,
        uint256 profit
    );

    error NotOwner();
    error NotPool();
    error NotInitiator();
    error Expired(uint256 deadline);
    error NothingToLiquidate();
    error BadSwapPath(uint256 index);
    error ProfitBelowMinimum(uint256 index, uint256 profit, uint256 minProfit);
    error TokenCallFailed(address token);

    address public immutable owner;
    IAavePool public immutable pool;
    IUniswapV3SwapRouter public immutable swapRouter;

    /// Uniswap V3 path encoding: 20-byte address, then (3-byte fee, 20-byte address) per hop.
    uint256 private constant ADDRESS_BYTES = 20;
    uint256 private constant HOP_BYTES = 23;

    constructor(address pool_, address swapRouter_) {
        owner = msg.sender;
        pool = IAavePool(pool_);
        swapRouter = IUniswapV3SwapRouter(swapRouter_);
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    /// @notice Runs the liquidations in order, each in its own flash loan; returns each one's profit
    ///         (debt asset units), which the owner received. `deadline` bounds the whole call.
    function liquidate(Liquidation[] calldata liquidations, uint256 deadline)
        external
        onlyOwner
        returns (uint256[] memory profits)
    {
        if (block.timestamp > deadline) revert Expired(deadline);
        if (liquidations.length == 0) revert NothingToLiquidate();
        profits = new uint256[](liquidations.length);
        for (uint256 i = 0; i < liquidations.length; i++) {
            Liquidation calldata l = liquidations[i];
            if (!_pathFits(l)) revert BadSwapPath(i);

            // Normally zero: what was there before is not profit (and never pays for a loss).
            uint256 before = _balanceOf(l.debtAsset);
            pool.flashLoanSimple(address(this), l.debtAsset, l.debtToCover, abi.encode(i, l, deadline, before), 0);
            // executeOperation made sure that this is at least before + minProfit.
            uint256 balance = _balanceOf(l.debtAsset);
            uint256 profit = balance - before;
            profits[i] = profit;

            if (balance > 0) _transfer(l.debtAsset, owner, balance);
            if (l.collateralAsset != l.debtAsset) {
                // Normally zero: the swap takes all the collateral seized.
                uint256 leftover = _balanceOf(l.collateralAsset);
                if (leftover > 0) _transfer(l.collateralAsset, owner, leftover);
            }
            emit Liquidated(l.user, l.collateralAsset, l.debtAsset, profit);
        }
    }

    /// @notice Aave's flash-loan callback (IFlashLoanSimpleReceiver). Only the pool may call it, and
    ///         only for a loan this contract took (initiator), i.e. from `liquidate`.
    function executeOperation(
        address asset,
        uint256 amount,
        uint256 premium,
        address initiator,
        bytes calldata params
    ) external returns (bool) {
        if (msg.sender != address(pool)) revert NotPool();
        if (initiator != address(this)) revert NotInitiator();
        (uint256 index, Liquidation memory l, uint256 deadline, uint256 before) =
            abi.decode(params, (uint256, Liquidation, uint256, uint256));

        // The pool pulls at most `amount` of the debt asset (safeTransferFrom in LiquidationLogic).
        _approve(asset, address(pool), amount);
        uint256 collateralBefore = _balanceOf(l.collateralAsset);
        pool.liquidationCall(l.collateralAsset, asset, l.user, amount, false);

        if (l.collateralAsset != asset) {
            uint256 seized = _balanceOf(l.collateralAsset) - collateralBefore;
            _approve(l.collateralAsset, address(swapRouter), seized);
            swapRouter.exactInput(
                IUniswapV3SwapRouter.ExactInputParams({
                    path: l.swapPath,
                    recipient: address(this),
                    deadline: deadline,
                    amountIn: seized,
                    amountOutMinimum: l.minAmountOut
                })
            );
            // The router takes all of amountIn unless a pool ran out of liquidity at its price limit;
            // then the rest of the allowance is withdrawn (and the collateral is swept by liquidate).
            if (_balanceOf(l.collateralAsset) != collateralBefore) _approve(l.collateralAsset, address(swapRouter), 0);
        }

        // The loan and its premium must be covered and the owner's minimum left over; checked here
        // so that a loss reverts with this error rather than in the pool's transferFrom.
        uint256 owed = amount + premium;
        uint256 balance = _balanceOf(asset);
        uint256 profit = balance > before + owed ? balance - before - owed : 0;
        if (balance < before + owed || profit < l.minProfit) revert ProfitBelowMinimum(index, profit, l.minProfit);

        // Replaces what liquidationCall left of the first allowance; the pool pulls all of it
        // (FlashLoanLogic._handleFlashLoanRepayment), so none is left afterwards.
        _approve(asset, address(pool), owed);
        return true;
    }

    /// @notice Sends the contract's whole balance of `token` to the owner (tokens sent here by mistake).
    function sweep(address token) external onlyOwner {
        uint256 balance = _balanceOf(token);
        if (balance > 0) _transfer(token, owner, balance);
    }

    /// A swap path must lead from the collateral to the debt asset; none is allowed for the same asset.
    function _pathFits(Liquidation calldata l) private pure returns (bool) {
        bytes calldata path = l.swapPath;
        if (l.collateralAsset == l.debtAsset) return path.length == 0;
        if (path.length < ADDRESS_BYTES + HOP_BYTES || (path.length - ADDRESS_BYTES) % HOP_BYTES != 0) return false;
        address first = address(bytes20(path[:ADDRESS_BYTES]));
        address last = address(bytes20(path[path.length - ADDRESS_BYTES:]));
        return first == l.collateralAsset && last == l.debtAsset;
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
