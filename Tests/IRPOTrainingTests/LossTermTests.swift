import XCTest
@testable import IRPOTraining

final class LossTermTests: XCTestCase {
    let pairs: [PairScores] = [
        PairScores(policyChosen: -12.5, policyRejected: -14.0, referenceChosen: -13.0, referenceRejected: -13.5, chosenTokens: 5, rejectedTokens: 7),
        PairScores(policyChosen: -30.25, policyRejected: -22.0, referenceChosen: -29.0, referenceRejected: -25.0, chosenTokens: 11, rejectedTokens: 9),
        PairScores(policyChosen: -3.0, policyRejected: -40.0, referenceChosen: -3.5, referenceRejected: -38.0, chosenTokens: 2, rejectedTokens: 16),
    ]

    /// Central finite differences in Double of every term w.r.t. every policy log-prob.
    func testDerivativesMatchFiniteDifferences() {
        let terms: [LossTerm] = [.dpoSigmoid(beta: 0.1), .dpoSigmoid(beta: 0.7, labelSmoothing: 0.2), .ipo(beta: 0.3),
                                 .nll(.perSequence), .nll(.perToken)]
        let h = 1e-5
        for term in terms {
            let analytic = term.evaluate(pairs)
            for index in pairs.indices {
                for rejected in [false, true] {
                    var plus = pairs, minus = pairs
                    if rejected { plus[index].policyRejected += h; minus[index].policyRejected -= h } else {
                        plus[index].policyChosen += h; minus[index].policyChosen -= h
                    }
                    let numeric = (term.evaluate(plus).value - term.evaluate(minus).value) / (2 * h)
                    let value = rejected ? analytic.dPolicyRejected[index] : analytic.dPolicyChosen[index]
                    XCTAssertEqual(value, numeric, accuracy: 1e-8 + 1e-6 * abs(numeric), "\(term) pair \(index) rejected \(rejected)")
                }
            }
        }
    }

    func testDPOValuesByHand() {
        // logits = (pc - rc) - (pr - rr); pair 0: 0.5 - (-0.5) = 1; pair 1: -1.25 - 3 = -4.25; pair 2: 0.5 - (-2) = 2.5.
        let beta = 0.1
        let expected = [1.0, -4.25, 2.5].map { Foundation.log(1 + Foundation.exp(-beta * $0)) }.reduce(0, +) / 3
        XCTAssertEqual(LossTerm.dpoSigmoid(beta: beta).evaluate(pairs).value, expected, accuracy: 1e-14)
        // At equal policy and reference the loss is log 2.
        let neutral = [PairScores(policyChosen: -5, policyRejected: -6, referenceChosen: -5, referenceRejected: -6, chosenTokens: 1, rejectedTokens: 1)]
        XCTAssertEqual(LossTerm.dpoSigmoid(beta: 0.1).evaluate(neutral).value, Foundation.log(2.0), accuracy: 1e-15)
        // Stable for huge logits (no overflow to infinity or NaN).
        let extreme = [PairScores(policyChosen: -1e4, policyRejected: 0, referenceChosen: 0, referenceRejected: 0, chosenTokens: 1, rejectedTokens: 1)]
        XCTAssertEqual(LossTerm.dpoSigmoid(beta: 1).evaluate(extreme).value, 1e4, accuracy: 1e-9)
    }

    func testNLLNormalisations() {
        let perSequence = (12.5 / 5 + 30.25 / 11 + 3.0 / 2) / 3
        XCTAssertEqual(LossTerm.nll(.perSequence).evaluate(pairs).value, perSequence, accuracy: 1e-14)
        let perToken = (12.5 + 30.25 + 3.0) / 18
        XCTAssertEqual(LossTerm.nll(.perToken).evaluate(pairs).value, perToken, accuracy: 1e-14)
        XCTAssertEqual(LossTerm.nll(.perSequence).evaluate(pairs).dPolicyRejected, [0, 0, 0])
    }

    func testPresetsCombineTermsWithWeights() {
        let rpo = TrainingObjective.rpo(alpha: 0.5, beta: 0.2)
        let expected = LossTerm.dpoSigmoid(beta: 0.2).evaluate(pairs).value + 0.5 * LossTerm.nll(.perSequence).evaluate(pairs).value
        XCTAssertEqual(rpo.evaluate(pairs).value, expected, accuracy: 1e-14)
        XCTAssertTrue(rpo.needsRejected)
        XCTAssertEqual(TrainingObjective.dpo().evaluate(pairs).value, LossTerm.dpoSigmoid(beta: 0.1).evaluate(pairs).value)
        XCTAssertFalse(TrainingObjective.sft().needsRejected)
        XCTAssertFalse(TrainingObjective.sft().needsReference)
        XCTAssertFalse(TrainingObjective.rpo(alpha: 0).terms.isEmpty)
        XCTAssertEqual(TrainingObjective.rpo(alpha: 0).evaluate(pairs), TrainingObjective.dpo().evaluate(pairs))
    }

    func testValidationNamesTheBadValue() {
        XCTAssertThrowsError(try TrainingObjective.rpo(alpha: -1).validate()) { error in
            XCTAssertTrue("\(error)".contains("-1.0"), "\(error)")
        }
        XCTAssertThrowsError(try TrainingObjective.dpo(beta: 0).validate()) { error in
            XCTAssertTrue("\(error)".contains("beta 0.0"), "\(error)")
        }
        XCTAssertNoThrow(try TrainingObjective.rpo().validate())
    }
}
