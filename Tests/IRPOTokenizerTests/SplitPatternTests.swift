import XCTest
@testable import IRPOTokenizer

/// Hand-checked splits (the corpus goldens check the rest against Oniguruma).
final class SplitPatternTests: XCTestCase {
    func split(_ pattern: SplitPattern, _ text: String) -> [String] {
        let bytes = Array(text.utf8)
        return pattern.matches(in: bytes[...]).map { String(decoding: bytes[$0], as: UTF8.self) }
    }

    func testGPT2() {
        XCTAssertEqual(split(.gpt2, "Hello world's  end 123!!\n\n x"),
                       ["Hello", " world", "'s", " ", " end", " 123", "!!", "\n\n", " x"])
        XCTAssertEqual(split(.gpt2, "I'M"), ["I", "'", "M"])  // case-sensitive contractions
    }

    func testLlama3() {
        let llama3 = SplitPattern(regex: SplitPattern.llama3Source)
        XCTAssertEqual(llama3, .llama3(maxDigits: 3))
        XCTAssertEqual(split(.llama3(maxDigits: 3), "I'M 12345 (x)\n\n  y"),
                       ["I", "'M", " ", "123", "45", " (", "x", ")\n\n", " ", " y"])
        XCTAssertEqual(split(.llama3(maxDigits: 1), "12 a"), ["1", "2", " a"])
    }

    func testUnknownRegexIsRejected() {
        XCTAssertNil(SplitPattern(regex: #"\w+"#))
    }
}
