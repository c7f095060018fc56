import Foundation
import XCTest
@testable import IRPOTraining

final class StepMetricsTests: XCTestCase {
    func testValuesAndTRLNames() throws {
        let scores = [
            PairScores(policyChosen: -10, policyRejected: -12, referenceChosen: -11, referenceRejected: -11, chosenTokens: 4, rejectedTokens: 5),
            PairScores(policyChosen: -20, policyRejected: -18, referenceChosen: -19, referenceRejected: -19, chosenTokens: 6, rejectedTokens: 3),
        ]
        let metrics = StepMetrics(step: 3, epoch: 0.5, loss: 0.7, scores: scores, objective: .rpo(beta: 0.5),
                                  learningRate: 1e-4, gradNorm: 2.5)
        XCTAssertEqual(metrics.rewardsChosen ?? .nan, 0.5 * (1 + -1) / 2, accuracy: 1e-15)
        XCTAssertEqual(metrics.rewardsRejected ?? .nan, 0.5 * (-1 + 1) / 2, accuracy: 1e-15)
        XCTAssertEqual(metrics.rewardsMargins ?? .nan, 0.5 * (2 + -2) / 2, accuracy: 1e-15)
        XCTAssertEqual(metrics.rewardsAccuracies, 0.5)
        XCTAssertEqual(metrics.logpsChosen, -15)
        XCTAssertEqual(metrics.logpsRejected, -15)
        XCTAssertEqual(metrics.nll, (10.0 / 4 + 20.0 / 6) / 2, accuracy: 1e-15)
        XCTAssertEqual(metrics.tokens, 18)
        let object = try JSONSerialization.jsonObject(with: Data(try metrics.jsonLine().utf8)) as? [String: Any]
        let keys = Set(object?.keys.map { $0 } ?? [])
        for name in ["loss", "nll", "rewards/chosen", "rewards/rejected", "rewards/margins", "rewards/accuracies",
                     "logps/chosen", "logps/rejected", "learning_rate", "grad_norm", "step", "epoch"] {
            XCTAssertTrue(keys.contains(name), name)
        }
        XCTAssertEqual(try JSONDecoder().decode(StepMetrics.self, from: Data(try metrics.jsonLine().utf8)), metrics)
    }

    func testSFTHasNoRewardMetrics() throws {
        let metrics = StepMetrics(step: 1, epoch: 1, loss: 2, scores: [PairScores(policyChosen: -4, chosenTokens: 2)],
                                  objective: .sft(), learningRate: 1, gradNorm: 1)
        XCTAssertNil(metrics.rewardsChosen)
        XCTAssertNil(metrics.logpsRejected)
        XCTAssertFalse(try metrics.jsonLine().contains("rewards/"))
    }
}
