import XCTest
@testable import IRPOTasks

final class TaskErrorTests: XCTestCase {
    func testMessagesNameTheLocationAndTheNextStep() {
        let rows: [(TaskError, [String])] = [
            (.unreadableFile(path: "/d/x.jsonl", reason: "no such file"), ["/d/x.jsonl", "no such file", "check the path"]),
            (.malformedJSON(location: "x.jsonl:3", reason: "bad"), ["x.jsonl:3", "malformed JSON", "fix or remove"]),
            (.missingField(location: "x.jsonl:4", field: "question", expected: "a string"), ["x.jsonl:4", "'question'", "configure the field name"]),
            (.invalidValue(location: "x.jsonl:5", field: "answerKey", value: "E", reason: "not among the labels"), ["x.jsonl:5", "'answerKey'", "\"E\""]),
            (.emptyDataset(path: "e.jsonl"), ["e.jsonl", "no items"]),
            (.unknownName(kind: "task", name: "gsm", suggestion: "gsm8k", known: ["gsm8k", "arc"]), ["unknown task 'gsm'", "Did you mean 'gsm8k'?", "Known: gsm8k, arc"]),
            (.invalidConfiguration(key: "steps", value: "0...1", reason: "bad"), ["'steps'", "0...1"]),
            (.generationExhausted(requested: 10, produced: 2, reason: "r"), ["2 of 10", "widen the ranges"]),
        ]
        for (error, fragments) in rows {
            for fragment in fragments {
                XCTAssertTrue(error.description.contains(fragment), "\(error.description) lacks \(fragment)")
            }
            XCTAssertEqual(error.errorDescription, error.description)
        }
    }

    func testLongValuesAreShortened() {
        let error = TaskError.invalidValue(location: "f:1", field: "a", value: String(repeating: "x", count: 500), reason: "r")
        XCTAssertLessThan(error.description.count, 200)
        XCTAssertTrue(error.description.contains("..."))
    }
}
