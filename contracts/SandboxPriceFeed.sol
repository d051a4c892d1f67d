// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title SandboxPriceFeed
/// @notice Owner-controlled price feed for the local sandbox market. It exposes the
///         Chainlink AggregatorInterface (v2) and AggregatorV3Interface surfaces and
///         emits Chainlink's events, so AaveOracle and an off-chain watcher treat it
///         exactly like a production aggregator. Answers are USD with 8 decimals.
contract SandboxPriceFeed {
    struct Round {
        int256 answer;
        uint64 startedAt;
        uint64 updatedAt;
    }

    /// Chainlink AggregatorInterface events; signatures must match byte for byte,
    /// watchers filter on their topic0.
    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);
    event NewRound(uint256 indexed roundId, address indexed startedBy, uint256 startedAt);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    uint8 public constant decimals = 8;
    uint256 public constant version = 1;

    string public description;
    address public owner;
    uint256 public latestRound;

    mapping(uint256 => Round) private rounds;

    modifier onlyOwner() {
        require(msg.sender == owner, "SandboxPriceFeed: not owner");
        _;
    }

    constructor(int256 initialAnswer, string memory description_) {
        description = description_;
        owner = msg.sender;
        emit OwnershipTransferred(address(0), msg.sender);
        _record(initialAnswer);
    }

    /// @notice Publish a new answer as a new round, timestamped with the current block.
    function setAnswer(int256 newAnswer) external onlyOwner {
        _record(newAnswer);
    }

    function transferOwnership(address newOwner) external onlyOwner {
        require(newOwner != address(0), "SandboxPriceFeed: zero owner");
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }

    // --- AggregatorInterface (v2) ---

    function latestAnswer() external view returns (int256) {
        return rounds[latestRound].answer;
    }

    function latestTimestamp() external view returns (uint256) {
        return rounds[latestRound].updatedAt;
    }

    /// Like Chainlink's v2 getters, unknown rounds read as zero rather than reverting.
    function getAnswer(uint256 roundId) external view returns (int256) {
        return rounds[roundId].answer;
    }

    function getTimestamp(uint256 roundId) external view returns (uint256) {
        return rounds[roundId].updatedAt;
    }

    // --- AggregatorV3Interface ---

    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        return _roundData(latestRound);
    }

    /// Like Chainlink's v3 aggregators, an unknown round reverts.
    function getRoundData(uint80 roundId_)
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        require(roundId_ != 0 && roundId_ <= latestRound, "No data present");
        return _roundData(roundId_);
    }

    function _roundData(uint256 id) private view returns (uint80, int256, uint256, uint256, uint80) {
        Round storage r = rounds[id];
        // Answers are written in the round that starts them, so answeredInRound == roundId.
        return (uint80(id), r.answer, r.startedAt, r.updatedAt, uint80(id));
    }

    function _record(int256 answer) private {
        uint256 roundId = latestRound + 1;
        latestRound = roundId;
        rounds[roundId] = Round({answer: answer, startedAt: uint64(block.timestamp), updatedAt: uint64(block.timestamp)});
        emit NewRound(roundId, msg.sender, block.timestamp);
        emit AnswerUpdated(answer, roundId, block.timestamp);
    }
}
