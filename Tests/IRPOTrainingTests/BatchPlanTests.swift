import IRPOTensor
import XCTest
@testable import IRPOTraining

final class BatchPlanTests: XCTestCase {
    func testShuffleIsASeededPermutation() {
        var a = SeededGenerator(seed: 5), b = SeededGenerator(seed: 5), c = SeededGenerator(seed: 6)
        let first = BatchPlan.shuffledOrder(count: 50, generator: &a)
        XCTAssertEqual(first, BatchPlan.shuffledOrder(count: 50, generator: &b))
        XCTAssertNotEqual(first, BatchPlan.shuffledOrder(count: 50, generator: &c))
        XCTAssertEqual(first.sorted(), Array(0..<50))
        XCTAssertNotEqual(first, Array(0..<50))
        // The next epoch draws a different order from the advanced generator.
        XCTAssertNotEqual(BatchPlan.shuffledOrder(count: 50, generator: &a), first)
    }

    func testStepsAndMicroBatches() {
        let plan = BatchPlan(examplesPerStep: 4, examplesPerMicroBatch: 3)
        XCTAssertEqual(plan.stepsPerEpoch(exampleCount: 10), 3)
        let order = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]
        XCTAssertEqual(Array(plan.stepExamples(order: order, stepInEpoch: 2)), [1, 0])   // short last step
        let lengths = [10: 0, 9: 5, 8: 7, 7: 5, 6: 9]
        let micro = plan.microBatches(of: plan.stepExamples(order: order, stepInEpoch: 0)) { lengths[$0] ?? 0 }
        // Longest first, ties by index; groups of 3 then the rest.
        XCTAssertEqual(micro, [[6, 8, 7], [9]])
    }

    func testUnvalidatedSizesNeverTrap() {
        // A zero or huge batch size from a config must not divide by zero or overflow before
        // validation rejects it.
        XCTAssertEqual(BatchPlan(examplesPerStep: 0, examplesPerMicroBatch: 1).stepsPerEpoch(exampleCount: 10), 10)
        XCTAssertEqual(BatchPlan(examplesPerStep: Int.max, examplesPerMicroBatch: 1).stepsPerEpoch(exampleCount: Int.max), 1)
        XCTAssertEqual(BatchPlan(examplesPerStep: 3, examplesPerMicroBatch: 1).stepsPerEpoch(exampleCount: Int.max), Int.max / 3 + 1)
        var configuration = TrainerConfiguration()
        configuration.maxSteps = nil
        configuration.batchSize = 1
        configuration.epochs = Int.max
        XCTAssertEqual(configuration.totalSteps(exampleCount: 10), Int.max)
        configuration.batchSize = 0
        configuration.epochs = 2
        XCTAssertEqual(configuration.totalSteps(exampleCount: 10), 20)
    }

    func testValidation() {
        XCTAssertThrowsError(try BatchPlan(examplesPerStep: 0, examplesPerMicroBatch: 1).validate())
        XCTAssertThrowsError(try BatchPlan(examplesPerStep: 2, examplesPerMicroBatch: 0).validate())
    }
}
