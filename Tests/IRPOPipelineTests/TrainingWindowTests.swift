import Foundation
import IRPOTraining
import XCTest
@testable import IRPOPipeline

/// The report's "first -> last" training values: means over the first and last 10% of steps.
final class TrainingWindowTests: XCTestCase {
    func rows(_ count: Int, rejected: Bool) throws -> [StepMetrics] {
        try (1...count).map { step in
            let extra = rejected ? ", \"logps/rejected\": \(-2 * step), \"rewards/chosen\": \(Double(step) / 100), \"rewards/rejected\": \(-Double(step) / 10)" : ""
            let json = "{\"step\": \(step), \"epoch\": 1, \"loss\": \(step), \"nll\": 0, \"logps/chosen\": \(-step)\(extra), "
                + "\"learning_rate\": 0.001, \"grad_norm\": 1, \"pairs\": 4, \"tokens\": 40}"
            return try JSONDecoder().decode(StepMetrics.self, from: Data(json.utf8))
        }
    }

    func testMeansOverTheFirstAndLastTenthOfTheSteps() throws {
        let window = try XCTUnwrap(TrainingWindow(try rows(20, rejected: true)))
        XCTAssertEqual(window.first.loss, 1.5)
        XCTAssertEqual(window.last.loss, 19.5)
        XCTAssertEqual(window.chosen, "-1.50 -> -19.50")
        XCTAssertEqual(window.rejected, "-3.00 -> -39.00")
        XCTAssertEqual(window.lastRewards.chosen, "+0.1950")
        XCTAssertEqual(window.lastRewards.rejected, "-1.9500")
    }

    func testShortStagesUseSingleStepsAndSFTHasNoRejected() throws {
        let window = try XCTUnwrap(TrainingWindow(try rows(3, rejected: false)))
        XCTAssertEqual(window.first.loss, 1)
        XCTAssertEqual(window.last.loss, 3)
        XCTAssertEqual(window.rejected, "-")
        XCTAssertEqual(window.lastRewards.chosen, "-")
        XCTAssertNil(TrainingWindow([]))
    }
}
