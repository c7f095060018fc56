import Foundation
import XCTest
@testable import IRPOTasks

final class SyntheticArithmeticConfigTests: XCTestCase {
    func testDefaultsAreValidAndCodable() throws {
        let config = SyntheticArithmeticConfig()
        XCTAssertNoThrow(try config.validate())
        let data = try JSONEncoder().encode(config)
        XCTAssertEqual(try JSONDecoder().decode(SyntheticArithmeticConfig.self, from: data), config)
    }

    func testInvalidKnobsNameTheKey() {
        typealias C = SyntheticArithmeticConfig
        let cases: [(C, String)] = [
            (C(steps: 0...2), "'steps'"),
            (C(operandRange: 0...3), "'operandRange'"),
            (C(multiplierRange: 1...2), "'multiplierRange'"),
            (C(valueRange: -5...30), "'valueRange'"),
            (C(startRange: 1...40), "'startRange'"),
            (C(addWeight: -1), "'addWeight'"),
            (C(addWeight: 0, subtractWeight: 0, multiplyWeight: 0), "at least one"),
            (C(trainingRarePhrasingProbability: 1.5), "'trainingRarePhrasingProbability'"),
            (C(evaluationRarePhrasingProbability: -0.1), "'evaluationRarePhrasingProbability'"),
            (C(distractorProbability: 2), "'distractorProbability'"),
            (C(maxDistractors: -1), "'maxDistractors'"),
            (C(testFraction: 0), "'testFraction'"),
            (C(testFraction: 0.6, devFraction: 0.5), "'testFraction'"),
        ]
        for (config, fragment) in cases {
            assertTaskError(try config.validate(), contains: [fragment])
            assertTaskError(try SyntheticArithmeticTask(config: config), contains: [fragment])
        }
    }

    func testPhrasingChecks() {
        var phrasings = SyntheticPhrasings.standard
        phrasings.addRare = []
        assertTaskError(try SyntheticArithmeticConfig(phrasings: phrasings).validate(), contains: ["addCommon/addRare"])
        phrasings = .standard
        phrasings.subtractCommon.append("She loses some.")
        assertTaskError(try SyntheticArithmeticConfig(phrasings: phrasings).validate(), contains: ["{n}", "She loses some."])
        phrasings = .standard
        phrasings.distractors = []
        XCTAssertNoThrow(try SyntheticArithmeticConfig(phrasings: phrasings).validate(), "no distractors needed at probability 0")
        assertTaskError(try SyntheticArithmeticConfig(distractorProbability: 0.5, phrasings: phrasings).validate(), contains: ["distractors"])
        phrasings = .standard
        phrasings.people = []
        assertTaskError(try SyntheticArithmeticConfig(phrasings: phrasings).validate(), contains: ["people"])
    }
}
