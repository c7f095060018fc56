import IRPOTensor

/// The order in which examples are visited and how they are grouped.
///
/// Each epoch is a seeded Fisher-Yates permutation of the example indices (drawn from the
/// trainer's generator, so it is part of the checkpointed state). Consecutive runs of
/// `examplesPerStep` indices form the effective batch of one optimizer step (the last step of
/// an epoch may be shorter). Within a step, examples are sorted by their longer sequence
/// (longest first, ties by index) and cut into micro-batches of `examplesPerMicroBatch`, so each
/// forward pads little; the chosen and rejected sequences of a pair are in the same forward.
/// Sorting inside a step does not change which examples share an update.
public struct BatchPlan: Sendable, Equatable {
    /// Examples per optimizer step (effective batch size).
    public var examplesPerStep: Int
    /// Examples per forward/backward (micro-batch); gradients accumulate over the step's
    /// micro-batches.
    public var examplesPerMicroBatch: Int

    /// Memberwise init.
    public init(examplesPerStep: Int, examplesPerMicroBatch: Int) {
        self.examplesPerStep = examplesPerStep
        self.examplesPerMicroBatch = examplesPerMicroBatch
    }

    /// Checks the sizes; the message names the bad value.
    public func validate() throws {
        guard examplesPerStep >= 1 else { throw TrainingError.invalidConfiguration("batch size \(examplesPerStep) must be >= 1") }
        guard examplesPerMicroBatch >= 1 else {
            throw TrainingError.invalidConfiguration("micro-batch size \(examplesPerMicroBatch) must be >= 1")
        }
    }

    /// Optimizer steps per epoch of `exampleCount` examples (a batch size below 1 counts as 1, so
    /// an unvalidated plan never divides by zero; `validate()` rejects it).
    public func stepsPerEpoch(exampleCount: Int) -> Int {
        let perStep = max(1, examplesPerStep)
        let count = max(0, exampleCount)
        return count / perStep + (count % perStep == 0 ? 0 : 1)
    }

    /// A seeded permutation of `0..<count` (Fisher-Yates from the last index down, with
    /// `next() % (i + 1)`; written out so it never changes with the standard library).
    public static func shuffledOrder(count: Int, generator: inout SeededGenerator) -> [Int] {
        var order = Array(0..<count)
        var index = count - 1
        while index > 0 {
            let other = Int(generator.next() % UInt64(index + 1))
            order.swapAt(index, other)
            index -= 1
        }
        return order
    }

    /// The example indices of step `stepInEpoch` of an epoch visiting `order`.
    public func stepExamples(order: [Int], stepInEpoch: Int) -> ArraySlice<Int> {
        let start = stepInEpoch * examplesPerStep
        precondition(start < order.count, "BatchPlan.stepExamples: step \(stepInEpoch) is past the epoch")
        return order[start..<min(order.count, start + examplesPerStep)]
    }

    /// The micro-batches of one step: its examples sorted by length (longest first, ties by
    /// index) and cut into groups of `examplesPerMicroBatch`.
    public func microBatches(of stepExamples: ArraySlice<Int>, lengths: (Int) -> Int) -> [[Int]] {
        let sorted = stepExamples.sorted { first, second in
            let a = lengths(first), b = lengths(second)
            return a != b ? a > b : first < second
        }
        return stride(from: 0, to: sorted.count, by: examplesPerMicroBatch).map {
            Array(sorted[$0..<min(sorted.count, $0 + examplesPerMicroBatch)])
        }
    }
}
