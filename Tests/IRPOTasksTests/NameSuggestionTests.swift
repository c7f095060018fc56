import XCTest
@testable import IRPOTasks

final class NameSuggestionTests: XCTestCase {
    func testNearest() {
        let names = ["gsm8k", "arc", "math", "synthetic-arithmetic"]
        XCTAssertEqual(NameSuggestion.nearest(to: "gms8k", among: names), "gsm8k")
        XCTAssertEqual(NameSuggestion.nearest(to: "Math", among: names), "math")
        XCTAssertEqual(NameSuggestion.nearest(to: "synthetic_arithmetic", among: names), "synthetic-arithmetic")
        XCTAssertNil(NameSuggestion.nearest(to: "translation", among: names))
        XCTAssertNil(NameSuggestion.nearest(to: "x", among: []))
        XCTAssertEqual(NameSuggestion.editDistance(Array("kitten".utf8), Array("sitting".utf8)), 3)
        XCTAssertEqual(NameSuggestion.editDistance([], Array("abc".utf8)), 3)
    }
}
