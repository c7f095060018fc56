import XCTest
@testable import IRPOTasks

final class AnswerExtractorTests: XCTestCase {
    func testMarkerToleranceAndSpan() {
        let extractor = AnswerExtractor()
        let rows: [(String, String?)] = [
            ("Final answer: 42", "42"),
            ("final answer:42", "42"),
            ("FINAL ANSWER : 42", "42"),
            ("Final\nanswer: 42", "42"),
            ("**Final Answer:** 42", "42"),
            ("Final answer: 42.", "42"),
            ("Final answer: 4.2. Done.", "4.2"),
            ("Final answer: 42! Yes.", "42"),
            ("Final answer: what? 42", "what"),
            ("Final answer:\n\n42\nmore", "42"),
            ("Final answer: 1\nFinal answer: 2", "2"),
            ("Final answer: ", ""),
            ("The final answer: 7", "7"),
            ("My semifinal answer: 7", nil),
            ("Final answers: 7", nil),
            ("no marker here", nil),
        ]
        for (text, expected) in rows {
            let answer = extractor.extract(from: text)
            XCTAssertEqual(answer?.text, expected, text.debugDescription)
            if expected != nil { XCTAssertEqual(answer?.method, .finalAnswer, text) }
        }
    }

    func testCustomMarkersTheLastOccurrenceOfAnyWins() {
        let extractor = AnswerExtractor(markers: ["Final answer:", "Answer:"])
        XCTAssertEqual(extractor.extract(from: "Final answer: 1. Answer: 2")?.text, "2")
        XCTAssertEqual(extractor.extract(from: "Answer: 2. Final answer: 1")?.text, "1")
        XCTAssertEqual(AnswerExtractor(markers: ["The answer is"]).extract(from: "the answer is 5")?.text, "5")
    }

    func testFallbacksInConfiguredOrder() {
        let text = "We have #### 3 and \\boxed{4} and finally 5 apples"
        XCTAssertNil(AnswerExtractor().extract(from: text))
        XCTAssertEqual(AnswerExtractor(fallbacks: [.boxed, .hashes]).extract(from: text), ExtractedAnswer(text: "4", method: .boxed))
        XCTAssertEqual(AnswerExtractor(fallbacks: [.hashes, .boxed]).extract(from: text)?.method, .hashes)
        XCTAssertEqual(AnswerExtractor(fallbacks: [.lastNumber]).extract(from: text), ExtractedAnswer(text: "5", method: .lastNumber))
        XCTAssertEqual(AnswerExtractor(fallbacks: [.lastNumber]).extract(from: "no digits"), nil)
        XCTAssertEqual(AnswerExtractor(fallbacks: [.hashes]).extract(from: "x\n#### 1,200\n")?.text, "1,200")
        XCTAssertTrue(ExtractionMethod.boxed.isFallback)
        XCTAssertFalse(ExtractionMethod.finalAnswer.isFallback)
    }

    func testSentenceCutCanBeDisabled() {
        let extractor = AnswerExtractor(cutAtSentenceEnd: false)
        XCTAssertEqual(extractor.extract(from: "Final answer: 18. I hope it is correct.")?.text, "18. I hope it is correct")
    }

    func testValidate() {
        XCTAssertNoThrow(try AnswerExtractor(fallbacks: [.boxed, .hashes, .lastNumber]).validate())
        assertTaskError(try AnswerExtractor(markers: []).validate(), contains: ["'markers'"])
        assertTaskError(try AnswerExtractor(markers: ["  "]).validate(), contains: ["'markers'"])
        assertTaskError(try AnswerExtractor(fallbacks: [.finalAnswer]).validate(), contains: ["'fallbacks'", "finalAnswer"])
    }

    func testCodableRoundTrip() throws {
        let extractor = AnswerExtractor(markers: ["Answer:"], fallbacks: [.hashes], cutAtSentenceEnd: false)
        let data = try JSONEncoder().encode(extractor)
        XCTAssertEqual(try JSONDecoder().decode(AnswerExtractor.self, from: data), extractor)
    }
}
