import XCTest
@testable import IRPOGeneration

final class StopStringMatcherTests: XCTestCase {
    func testStopStringSplitAcrossPieces() {
        var matcher = StopStringMatcher(stops: ["\n\nQuestion:", "</s>"])
        var out = ""
        for piece in ["The answer", " is 4.", "\n", "\nQue", "stion:", " more"] {
            out += matcher.append(piece)
        }
        XCTAssertTrue(matcher.stopped)
        XCTAssertEqual(matcher.matchedStop, "\n\nQuestion:")
        XCTAssertEqual(out, "The answer is 4.")
        XCTAssertEqual(matcher.text, "The answer is 4.")
    }

    func testHoldsBackOnlyPossibleStopPrefixes() {
        var matcher = StopStringMatcher(stops: ["###"])
        XCTAssertEqual(matcher.append("a#"), "a")
        XCTAssertEqual(matcher.append("#b"), "##b", "'##b' cannot start '###'")
        XCTAssertEqual(matcher.append("##"), "")
        XCTAssertEqual(matcher.finish(), "##")
        XCTAssertFalse(matcher.stopped)
        XCTAssertEqual(matcher.text, "a##b##")
    }

    func testEarliestOfSeveralStopsWinsAndMultibyteText() {
        var matcher = StopStringMatcher(stops: ["é!", "xyz"])
        var out = matcher.append("ça xy")
        out += matcher.append("zé!")
        XCTAssertEqual(out, "ça ")
        XCTAssertEqual(matcher.matchedStop, "xyz")
        XCTAssertEqual(matcher.append("more"), "", "nothing after a stop")

        var single = StopStringMatcher(stops: ["xyz", "a xy"])
        XCTAssertEqual(single.append("ça xyz"), "ç")
        XCTAssertEqual(single.matchedStop, "a xy")
    }

    func testNoStopsReleasesEverything() {
        var matcher = StopStringMatcher(stops: [])
        XCTAssertEqual(matcher.append("abc"), "abc")
        XCTAssertEqual(matcher.finish(), "")
    }
}
