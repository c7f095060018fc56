import Foundation
import XCTest
@testable import IRPOTraining

final class PreferenceDatasetTests: XCTestCase {
    func parse(_ text: String) throws -> PreferenceDataset {
        try PreferenceDataset(jsonl: Data(text.utf8), file: "pairs.jsonl")
    }

    func assertError(_ text: String, line: Int?, contains fragment: String, file: StaticString = #filePath, lineNumber: UInt = #line) {
        XCTAssertThrowsError(try parse(text), file: file, line: lineNumber) { error in
            guard case let TrainingError.invalidData(name, errorLine, _) = error else {
                return XCTFail("unexpected error \(error)", file: file, line: lineNumber)
            }
            XCTAssertEqual(name, "pairs.jsonl", file: file, line: lineNumber)
            XCTAssertEqual(errorLine, line, "\(error)", file: file, line: lineNumber)
            XCTAssertTrue("\(error)".contains(fragment), "\(error)", file: file, line: lineNumber)
            if let line { XCTAssertTrue("\(error)".hasPrefix("pairs.jsonl:\(line): "), "\(error)", file: file, line: lineNumber) }
        }
    }

    func testReadsIdsAndTextPairs() throws {
        let dataset = try parse("""
        {"prompt_ids": [1, 2], "chosen_ids": [3], "rejected_ids": [4, 5], "question_id": "q1", "reward": 1}

        {"prompt": "Q?", "chosen": "yes", "rejected": "no"}
        """)
        XCTAssertEqual(dataset.records.count, 2)
        XCTAssertEqual(dataset.records[0], PreferenceRecord(line: 1, prompt: .tokens([1, 2]), chosen: .tokens([3]), rejected: .tokens([4, 5])))
        XCTAssertEqual(dataset.records[1].line, 3)   // blank line 2 skipped, numbering kept
        XCTAssertEqual(dataset.records[1].chosen, .text("yes"))
        XCTAssertTrue(dataset.isPreferencePairs)
        XCTAssertTrue(dataset.needsTokenizer)
        // Text without a tokenizer: clear error naming the line and the key.
        XCTAssertThrowsError(try dataset.tokenized()) { error in
            XCTAssertTrue("\(error)".hasPrefix("pairs.jsonl:3: `prompt` is text"), "\(error)")
        }
        // With a tokenizer, text becomes ids.
        let examples = try dataset.tokenized { text, role in (role == .prompt ? [0] : []) + text.utf8.map { Int32($0) } }
        XCTAssertEqual(examples[1].chosen, [121, 101, 115])
        XCTAssertEqual(examples[1].prompt, [0, 81, 63])
        XCTAssertEqual(examples[0].chosenSequence, ScoredSequence(tokens: [1, 2, 3], scoredFrom: 2))
    }

    func testReadsSFTRows() throws {
        let dataset = try parse(#"{"prompt_ids": [1], "completion_ids": [2, 3]}"#)
        XCTAssertFalse(dataset.isPreferencePairs)
        XCTAssertEqual(try dataset.tokenized(), [TrainingExample(line: 1, prompt: [1], chosen: [2, 3], rejected: nil)])
    }

    func testMalformedJSONNamesTheLine() {
        assertError("""
        {"prompt_ids": [1], "chosen_ids": [2], "rejected_ids": [3]}
        {"prompt_ids": [1], "chosen_ids": [2], "rejected_ids": [3]
        """, line: 2, contains: "is not valid JSON")
        assertError("[1, 2, 3]", line: 1, contains: "is not a JSON object")
    }

    func testEmptyPromptOrCompletionIsRejected() {
        assertError(#"{"prompt": "", "chosen": "a", "rejected": "b"}"#, line: 1, contains: "`prompt` is empty")
        assertError(#"{"prompt_ids": [1], "chosen_ids": [], "rejected_ids": [3]}"#, line: 1, contains: "`chosen_ids` is empty")
        assertError(#"{"prompt": "x", "completion": ""}"#, line: 1, contains: "`completion` is empty")
    }

    func testBadFieldsAreNamed() {
        assertError(#"{"prompt_ids": [1, -2], "chosen_ids": [2], "rejected_ids": [3]}"#, line: 1, contains: "`prompt_ids`[1] = -2")
        assertError(#"{"prompt_ids": [1, 2.5], "chosen_ids": [2], "rejected_ids": [3]}"#, line: 1, contains: "array of non-negative integer")
        assertError(#"{"prompt_ids": [1], "chosen_ids": [2]}"#, line: 1, contains: "no `rejected`")
        assertError(#"{"chosen": "a", "rejected": "b"}"#, line: 1, contains: "no `prompt`")
        assertError(#"{"prompt": [{"role": "user", "content": "hi"}], "chosen": "a", "rejected": "b"}"#, line: 1, contains: "conversational")
        assertError(#"{"prompt": "p", "answer": "a"}"#, line: 1, contains: "neither")
        assertError(#"{"prompt": 3, "completion": "a"}"#, line: 1, contains: "must be a string")
        assertError("""
        {"prompt": "p", "chosen": "a", "rejected": "b"}
        {"prompt": "p", "completion": "a"}
        """, line: 2, contains: "mixes preference pairs")
        assertError("\n\n", line: nil, contains: "holds no rows")
    }

    func testMissingFileIsNamed() {
        XCTAssertThrowsError(try PreferenceDataset(contentsOf: URL(fileURLWithPath: "/nonexistent/pairs.jsonl"))) { error in
            XCTAssertTrue("\(error)".hasPrefix("/nonexistent/pairs.jsonl: cannot read"), "\(error)")
        }
    }
}
