import Foundation
import XCTest
@testable import IRPOTasks

final class GenericJSONLDatasetTests: XCTestCase {
    func testConfigurableFieldsAndNestedPaths() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("g.jsonl", """
            {"data": {"prompt": "2+2?"}, "target": 4, "cot": "2+2=4. Final answer: 4", "uid": "u1"}
            {"data": {"prompt": "3+3?"}, "target": "6", "uid": "u2"}
            """)
        let loader = GenericJSONLDataset(questionField: "data.prompt", answerField: "target", solutionField: "cot", idField: "uid")
        let items = try loader.load(path: path)
        XCTAssertEqual(items, [
            TaskItem(id: "u1", question: "2+2?", goldAnswer: "4", goldSolution: "2+2=4. Final answer: 4"),
            TaskItem(id: "u2", question: "3+3?", goldAnswer: "6"),
        ])
    }

    func testDefaultIDsAndTextAnswers() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("plain.jsonl", "{\"question\": \"Capital of France?\", \"answer\": \"Paris\"}\n")
        let items = try GenericJSONLDataset().load(path: path)
        XCTAssertEqual(items.first?.id, "plain-0")
        XCTAssertEqual(items.first?.goldAnswer, "Paris")
    }

    func testRequireNumericAnswerCanonicalises() throws {
        let dir = try TemporaryDirectory()
        let good = try dir.write("n.jsonl", "{\"question\": \"q\", \"answer\": \"$1,200\"}\n")
        XCTAssertEqual(try GenericJSONLDataset(requireNumericAnswer: true).load(path: good).first?.goldAnswer, "1200")
        let bad = try dir.write("b.jsonl", "{\"question\": \"q\", \"answer\": \"1\"}\n{\"question\": \"q\", \"answer\": \"Paris\"}\n")
        assertTaskError(try GenericJSONLDataset(requireNumericAnswer: true).load(path: bad), contains: ["b.jsonl:2", "'answer'", "not a single number"])
    }

    func testMissingAndEmptyFields() throws {
        let dir = try TemporaryDirectory()
        let missing = try dir.write("m.jsonl", "{\"question\": \"q\"}\n")
        assertTaskError(try GenericJSONLDataset().load(path: missing), contains: ["m.jsonl:1", "missing field 'answer'"])
        let empty = try dir.write("e.jsonl", "{\"question\": \"q\", \"answer\": \"  \"}\n")
        assertTaskError(try GenericJSONLDataset().load(path: empty), contains: ["e.jsonl:1", "empty"])
        let renamed = try dir.write("r.jsonl", "{\"question\": \"q\", \"answer\": \"1\"}\n")
        assertTaskError(try GenericJSONLDataset(questionField: "problem").load(path: renamed), contains: ["r.jsonl:1", "missing field 'problem'"])
    }
}
