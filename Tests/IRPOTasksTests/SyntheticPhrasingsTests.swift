import XCTest
@testable import IRPOTasks

final class SyntheticPhrasingsTests: XCTestCase {
    func testStandardSetHasTheDemoShape() {
        let p = SyntheticPhrasings.standard
        XCTAssertEqual(p.addCommon.count, 4)
        XCTAssertEqual(p.addRare.count, 6)
        XCTAssertEqual(p.subtractCommon.count, 4)
        XCTAssertEqual(p.subtractRare.count, 6)
        XCTAssertEqual(Set(p.addCommon + p.addRare + p.subtractCommon + p.subtractRare).count, 20, "all phrasings distinct")
    }

    func testRarePhrasingsShareNoCueWordWithCommonOnes() {
        let p = SyntheticPhrasings.standard
        func words(_ templates: [String]) -> Set<String> {
            Set(templates.flatMap { $0.split(separator: " ").map(String.init) }.filter { !$0.contains("{") })
        }
        let commonCues = words(p.addCommon + p.subtractCommon)
        let rareWords = words(p.addRare + p.subtractRare)
        XCTAssertTrue(commonCues.intersection(rareWords).isEmpty, "\(commonCues.intersection(rareWords))")
    }

    func testTemplateSelection() {
        let p = SyntheticPhrasings.standard
        XCTAssertEqual(p.template(for: SyntheticOperation(kind: .multiply, operand: 2), rare: false, index: 0), "{P} doubles them.")
        XCTAssertEqual(p.template(for: SyntheticOperation(kind: .multiply, operand: 7), rare: false, index: 0), "{P} multiplies them by {n}.")
        XCTAssertEqual(p.template(for: SyntheticOperation(kind: .add, operand: 1), rare: true, index: 0), "{P} wins {n}.")
        XCTAssertEqual(p.count(for: .subtract, rare: false), 4)
        XCTAssertEqual(p.count(for: .multiply, rare: true), 0)
        XCTAssertEqual(SyntheticArithmeticTask.fill("{P} lends out {n}. {x}", ["P": "He", "n": "3"]), "He lends out 3. {x}")
    }

    func testVocabularyIsSmallAndASCII() {
        let p = SyntheticPhrasings.standard
        let text = (p.addCommon + p.addRare + p.subtractCommon + p.subtractRare + p.distractors + p.objects + p.people.map(\.name)).joined()
        XCTAssertTrue(text.unicodeScalars.allSatisfy(\.isASCII))
        XCTAssertLessThan(Set(text).count, 60)
    }
}
