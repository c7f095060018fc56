import Foundation
import XCTest
@testable import IRPOModel
import IRPOTensor

/// Sharded training passes: the plan of lanes and parts, agreement with one unsharded pass, independence of
/// the thread count, accumulation.
final class ShardedForwardPassTests: XCTestCase {
    private let sequences: [[Int32]] = [
        [3, 7, 1, 19, 4, 4, 22], [5, 2, 11], [0, 9, 9, 14, 6], [8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [12, 13],
    ]
    private let masks: [[Bool]] = [
        [false, false, true, true, true, false, true], [false, true, true], [false, false, false, true, true],
        [false, false, false, false, true, true, true, true, true, true, true], [false, true],
    ]
    private let weights: [Float] = [0.8, -1.1, 0.5, -0.3, 1.4]
    private var batch: TokenBatch { TokenBatch(sequences: sequences, scoreMasks: masks) }

    func testPlansBalanceTheLanesAndPadOnlySimilarLengthsTogether() {
        XCTAssertEqual(ShardPlan.make(lengths: [10, 10, 10, 10], lanes: 2).lanes, [[[0, 2]], [[1, 3]]])
        XCTAssertEqual(ShardPlan.make(lengths: [100, 1, 1, 1], lanes: 2).lanes, [[[0]], [[1, 2, 3]]])
        XCTAssertEqual(ShardPlan.make(lengths: [5, 5], lanes: 4).lanes, [[[0]], [[1]]])
        XCTAssertEqual(ShardPlan.make(lengths: [7], lanes: 2).lanes, [[[0]]])
        XCTAssertEqual(ShardPlan.make(lengths: [], lanes: 2).lanes, [])
        // 5 is more than 8/7 of 4, and 4 of 3: three parts.
        XCTAssertEqual(ShardPlan.make(lengths: [3, 4, 5], lanes: 1).lanes, [[[2], [1], [0]]])
        // Short winners and long losers, as in a preference batch: the long ones spread over both
        // lanes, and the short ones pad only with each other.
        XCTAssertEqual(ShardPlan.make(lengths: [20, 200, 21, 210, 19, 190], lanes: 2).lanes, [[[3], [0, 2, 4]], [[1, 5]]])
    }

    func testEveryPlanCoversEachSequenceOnceWithBoundedPadding() {
        var generator = SeededGenerator(seed: 3)
        for _ in 0..<300 {
            let count = Int(generator.next() % 40), lanes = 1 + Int(generator.next() % 5)
            let lengths = (0..<count).map { _ in 1 + Int(generator.next() % 300) }
            let plan = ShardPlan.make(lengths: lengths, lanes: lanes)
            XCTAssertEqual(plan, ShardPlan.make(lengths: lengths, lanes: lanes))
            XCTAssertEqual(plan.lanes.count, min(count, lanes), "\(lengths) on \(lanes) lanes")
            XCTAssertEqual(plan.lanes.flatMap { $0.flatMap { $0 } }.sorted(), Array(0..<count), "\(lengths): \(plan.lanes)")
            XCTAssertEqual(plan.sequenceCount, count)
            for parts in plan.lanes {
                XCTAssertFalse(parts.isEmpty)
                for part in parts {
                    XCTAssertFalse(part.isEmpty)
                    XCTAssertEqual(part, part.sorted())
                    let longest = part.map { lengths[$0] }.max() ?? 0, shortest = part.map { lengths[$0] }.min() ?? 0
                    XCTAssertLessThanOrEqual(longest * 7, shortest * 8, "\(lengths): part \(part)")
                }
            }
            // Balanced: no lane holds more tokens than another plus the longest sequence.
            let totals = plan.lanes.map { $0.flatMap { $0 }.reduce(0) { $0 + lengths[$1] } }
            if let most = totals.max(), let least = totals.min() {
                XCTAssertLessThanOrEqual(most - least, lengths.max() ?? 0, "\(lengths): \(totals)")
            }
        }
    }

    func testShardedPassMatchesOneUnshardedPass() throws {
        for (modelType, tied) in [("llama", true), ("qwen2", false)] {
            let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(modelType: modelType, tied: tied), seed: 4)
            let whole = try model.forward(batch)
            let wholeGradients = ParameterBuffer(layout: model.layout)
            model.backward(whole, dSumLogProbs: weights, into: wholeGradients)
            for shards in [2, 3, 5] {
                let sharded = try model.forward(batch, shards: shards)
                XCTAssertEqual(sharded.plan.lanes.count, shards)
                XCTAssertEqual(sharded.tokenCounts, whole.tokenCounts)
                for (a, b) in zip(sharded.sumLogProbs, whole.sumLogProbs) { XCTAssertEqual(a, b, accuracy: 1e-4) }
                for (rowA, rowB) in zip(sharded.tokenLogProbs, whole.tokenLogProbs) {
                    XCTAssertEqual(rowA.count, rowB.count)
                    for (a, b) in zip(rowA, rowB) { XCTAssertEqual(a, b, accuracy: 1e-5) }
                }
                let gradients = ParameterBuffer(layout: model.layout)
                model.backward(sharded, dSumLogProbs: weights, into: gradients)
                var largest: Float = 0
                for i in 0..<gradients.count { largest = max(largest, abs(wholeGradients.base[i])) }
                XCTAssertGreaterThan(largest, 1e-2)
                for i in 0..<gradients.count {
                    XCTAssertEqual(gradients.base[i], wholeGradients.base[i], accuracy: 1e-5 * max(largest, abs(wholeGradients.base[i])),
                                   "\(modelType), \(shards) shards, element \(i)")
                }
            }
        }
    }

    func testShardedResultsDoNotDependOnTheThreadCount() throws {
        let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(), seed: 6)
        func run(threads: Int) throws -> (logProbs: [Float], inference: [Float], gradients: [Float]) {
            let saved = (Parallel.threadCount, GEMM.threadCount)
            defer { Parallel.threadCount = saved.0; GEMM.threadCount = saved.1 }
            Parallel.threadCount = threads
            GEMM.threadCount = threads
            let pass = try model.forward(batch, shards: 2)
            let gradients = ParameterBuffer(layout: model.layout)
            model.backward(pass, dSumLogProbs: weights, into: gradients)
            // The shards must not leave the process-wide BLAS thread count lowered.
            XCTAssertEqual(GEMM.threadCount, threads)
            XCTAssertEqual(Parallel.threadCount, threads)
            let inference = try model.forward(batch, savingForBackward: false, shards: 2).sumLogProbs
            return (pass.sumLogProbs, inference, Array(gradients.buffer))
        }
        let one = try run(threads: 1), two = try run(threads: 2), three = try run(threads: 3)
        // From 4 threads each shard runs BLAS and its attention heads with 2 threads: still the
        // same numbers run to run (no shard changes the BLAS setting under the other).
        let four = try run(threads: 4), fourAgain = try run(threads: 4)
        XCTAssertEqual(four.logProbs, fourAgain.logProbs)
        XCTAssertEqual(four.inference, fourAgain.inference)
        XCTAssertEqual(four.gradients, fourAgain.gradients)
        XCTAssertEqual(one.logProbs, two.logProbs)
        XCTAssertEqual(one.inference, two.inference)
        XCTAssertEqual(one.gradients, two.gradients)
        XCTAssertEqual(one.gradients, three.gradients)
        XCTAssertEqual(one.logProbs, three.logProbs)
    }

    func testShardedBackwardAddsToTheGradientsItIsGiven() throws {
        let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(), seed: 8)
        let once = ParameterBuffer(layout: model.layout), twice = ParameterBuffer(layout: model.layout)
        model.backward(try model.forward(batch, shards: 2), dSumLogProbs: weights, into: once)
        model.backward(try model.forward(batch, shards: 2), dSumLogProbs: weights, into: twice)
        model.backward(try model.forward(batch, shards: 2), dSumLogProbs: weights, into: twice)
        XCTAssertGreaterThan(once.sumOfSquares(), 0)
        for i in 0..<once.count { XCTAssertEqual(twice.base[i], 2 * once.base[i], accuracy: 1e-5 * max(1, abs(once.base[i]))) }
        // The scratch buffers of later shards are freed with the rest of the workspace.
        XCTAssertEqual(model.shardGradientCache.count, 1)
        model.releaseWorkspace()
        XCTAssertEqual(model.shardGradientCache.count, 0)
    }

    func testShardedForwardRejectsBadBatchesBeforeSplitting() throws {
        let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(), seed: 1)
        XCTAssertThrowsError(try model.forward(TokenBatch(sequences: [[1, 2], [1, 2, 99]]), shards: 2)) { error in
            XCTAssertTrue("\(error)".contains("sequence 1, position 2: token id 99 is outside the vocabulary"), "\(error)")
        }
        XCTAssertThrowsError(try model.forward(TokenBatch(sequences: []), shards: 2)) { error in
            XCTAssertTrue("\(error)".contains("the batch is empty"), "\(error)")
        }
    }
}
