import Foundation
import XCTest
@testable import IRPOTasks

final class JSONLReaderTests: XCTestCase {
    func lines(_ path: String, chunkSize: Int) throws -> [(Int, String)] {
        var result: [(Int, String)] = []
        try JSONLReader(path: path, chunkSize: chunkSize).forEachLine { number, bytes in
            result.append((number, String(decoding: bytes, as: UTF8.self)))
        }
        return result
    }

    func testLineNumbersSkipBlankLinesAndToleranceForCRLFAndBOM() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("a.jsonl", "\u{FEFF}{\"a\":1}\r\n\n   \n{\"a\":2}\r\n{\"a\":3}")
        for chunkSize in [1, 3, 7, 1 << 20] {
            let found = try lines(path, chunkSize: chunkSize)
            XCTAssertEqual(found.map(\.0), [1, 4, 5], "chunk \(chunkSize)")
            XCTAssertEqual(found.map(\.1), ["{\"a\":1}", "{\"a\":2}", "{\"a\":3}"], "chunk \(chunkSize)")
        }
    }

    func testRecordsAreParsedWithLocations() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("r.jsonl", "{\"x\": \"one\"}\n\n{\"x\": 2}\n")
        var seen: [String] = []
        try JSONLReader(path: path, chunkSize: 4).forEachRecord { record in
            seen.append("\(record.location.split(separator: "/").last ?? "")=\(try record.string("x"))")
        }
        XCTAssertEqual(seen, ["r.jsonl:1=one", "r.jsonl:3=2"])
    }

    func testMalformedLineNamesFileAndLine() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("m.jsonl", "{\"x\": 1}\n{\"x\": 2}\n{\"x\": \n{\"x\": 4}\n")
        assertTaskError(try JSONLReader(path: path).forEachRecord { _ in }, contains: ["m.jsonl:3", "malformed JSON"])
    }

    func testLineThatIsNotAnObject() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("n.jsonl", "{\"x\": 1}\n[1, 2]\n")
        assertTaskError(try JSONLReader(path: path).forEachRecord { _ in }, contains: ["n.jsonl:2", "expected a JSON object, found an array"])
    }

    func testMissingFile() {
        assertTaskError(try JSONLReader(path: "/nonexistent/x.jsonl").forEachLine { _, _ in }, contains: ["/nonexistent/x.jsonl", "cannot read"])
    }

    func testErrorsFromTheBodyPropagate() throws {
        struct Stop: Error {}
        let dir = try TemporaryDirectory()
        let path = try dir.write("s.jsonl", "{}\n{}\n{}\n")
        var count = 0
        XCTAssertThrowsError(try JSONLReader(path: path).forEachLine { _, _ in
            count += 1
            if count == 2 { throw Stop() }
        }) { XCTAssertTrue($0 is Stop) }
        XCTAssertEqual(count, 2)
    }
}
