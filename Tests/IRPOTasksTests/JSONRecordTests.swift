import Foundation
import XCTest
@testable import IRPOTasks

final class JSONRecordTests: XCTestCase {
    func record(_ json: String) throws -> JSONRecord {
        try JSONRecord(parsing: Data(json.utf8), location: "f.jsonl:7")
    }

    func testDottedPathsAndNumbers() throws {
        let r = try record(#"{"question": {"stem": "Why?"}, "answer": 72, "ratio": 0.5, "none": null}"#)
        XCTAssertEqual(try r.string("question.stem"), "Why?")
        XCTAssertEqual(try r.string("answer"), "72")
        XCTAssertEqual(try r.string("ratio"), "0.5")
        XCTAssertNil(try r.optionalString("none"))
        XCTAssertNil(try r.optionalString("absent"))
        XCTAssertNil(r.value(at: "question.stem.deeper"))
    }

    func testMissingAndWrongTypes() throws {
        let r = try record(#"{"flag": true, "list": [1], "obj": {"a": 1}}"#)
        assertTaskError(try r.string("absent"), contains: ["f.jsonl:7", "missing field 'absent'"])
        assertTaskError(try r.string("flag"), contains: ["f.jsonl:7", "'flag'", "a boolean"])
        assertTaskError(try r.string("list"), contains: ["'list'", "an array"])
        assertTaskError(try r.string("obj"), contains: ["'obj'", "an object"])
        assertTaskError(try r.optionalString("flag"), contains: ["a boolean"])
        assertTaskError(try r.objects("list"), contains: ["'list[0]'", "expected an object"])
        assertTaskError(try r.objects("obj"), contains: ["'obj'", "expected an array"])
        assertTaskError(try r.objects("absent"), contains: ["missing field 'absent'"])
    }

    func testNestedObjectFields() throws {
        let r = try record(#"{"choices": [{"label": "A", "text": 3}, {"label": "B"}]}"#)
        let objects = try r.objects("choices")
        XCTAssertEqual(try r.string("text", in: objects[0], context: "choices[0]"), "3")
        assertTaskError(try r.string("text", in: objects[1], context: "choices[1]"), contains: ["f.jsonl:7", "choices[1].text"])
    }

    func testNotJSON() {
        assertTaskError(try record("{oops"), contains: ["f.jsonl:7", "malformed JSON", "{oops"])
        assertTaskError(try record("\"just a string\""), contains: ["expected a JSON object, found a string"])
    }
}
