import XCTest
@testable import IRPOTasks

final class StringSearchTests: XCTestCase {
    func testFirstAndLast() {
        let text = "a #### b #### c"
        XCTAssertEqual(text.firstRangeOfSubstring("####").map { text.distance(from: text.startIndex, to: $0.lowerBound) }, 2)
        XCTAssertEqual(text.lastRangeOfSubstring("####").map { text.distance(from: text.startIndex, to: $0.lowerBound) }, 9)
        XCTAssertNil(text.firstRangeOfSubstring("#####"))
        XCTAssertNil(text.firstRangeOfSubstring(""))
        XCTAssertTrue("x<<y".containsSubstring("<<"))
        XCTAssertEqual("aaa".lastRangeOfSubstring("aa").map { "aaa".distance(from: "aaa".startIndex, to: $0.lowerBound) }, 1)
        let unicode = "−5 and ✓ then −6"
        let range = unicode.lastRangeOfSubstring("−")
        XCTAssertEqual(range.map { String(unicode[$0.upperBound...]) }, "6")
        let sub = unicode.dropFirst(3)
        XCTAssertEqual(sub.firstRangeOfSubstring("✓").map { String(sub[$0]) }, "✓")
    }
}
