import XCTest
@testable import IRPOTraining

/// The `sum` NLL normalisation (a variant of the paper's length-normalised NLL).
final class NLLSumNormalizationTests: XCTestCase {
    let pairs: [PairScores] = [
        PairScores(policyChosen: -12.5, policyRejected: -14.0, referenceChosen: -13.0, referenceRejected: -13.5, chosenTokens: 5, rejectedTokens: 7),
        PairScores(policyChosen: -30.25, policyRejected: -22.0, referenceChosen: -29.0, referenceRejected: -25.0, chosenTokens: 11, rejectedTokens: 9),
        PairScores(policyChosen: -3.0, policyRejected: -40.0, referenceChosen: -3.5, referenceRejected: -38.0, chosenTokens: 2, rejectedTokens: 16),
    ]

    func testValueIsTheMeanSummedNegativeLogLikelihood() {
        let evaluation = LossTerm.nll(.sum).evaluate(pairs)
        XCTAssertEqual(evaluation.value, (12.5 + 30.25 + 3.0) / 3, accuracy: 1e-14)
        // Every winner gets the same weight per token, whatever its length; the loser none.
        XCTAssertEqual(evaluation.dPolicyChosen, [-1.0 / 3, -1.0 / 3, -1.0 / 3])
        XCTAssertEqual(evaluation.dPolicyRejected, [0, 0, 0])
    }

    func testDerivativesMatchFiniteDifferences() {
        let h = 1e-5
        let analytic = LossTerm.nll(.sum).evaluate(pairs)
        for index in pairs.indices {
            var plus = pairs, minus = pairs
            plus[index].policyChosen += h
            minus[index].policyChosen -= h
            let numeric = (LossTerm.nll(.sum).evaluate(plus).value - LossTerm.nll(.sum).evaluate(minus).value) / (2 * h)
            XCTAssertEqual(analytic.dPolicyChosen[index], numeric, accuracy: 1e-8)
        }
    }

    func testRPOWithSummedNLLWeighsItByAlphaAndRoundTripsItsName() throws {
        let objective = TrainingObjective.rpo(alpha: 2, beta: 0.1, nllNormalization: .sum)
        let expected = LossTerm.dpoSigmoid(beta: 0.1).evaluate(pairs).value + 2 * (12.5 + 30.25 + 3.0) / 3
        XCTAssertEqual(objective.evaluate(pairs).value, expected, accuracy: 1e-12)
        XCTAssertEqual(objective.nllNormalization, .sum)
        XCTAssertEqual(NLLNormalization(rawValue: "sum"), .sum)
        let decoded = try JSONDecoder().decode(TrainingObjective.self, from: JSONEncoder().encode(objective))
        XCTAssertEqual(decoded, objective)
    }
}
