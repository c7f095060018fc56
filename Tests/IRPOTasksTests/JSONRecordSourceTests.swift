import Foundation
import XCTest
@testable import IRPOTasks

final class JSONRecordSourceTests: XCTestCase {
    func locations(_ path: String) throws -> [String] {
        var result: [String] = []
        try JSONRecordSource.forEachRecord(at: path) { record in
            result.append(String(record.location.split(separator: "/").suffix(2).joined(separator: "/")))
        }
        return result
    }

    func testJSONArrayFile() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("a.json", #"[{"q": 1}, {"q": 2}]"#)
        XCTAssertEqual(try locations(path).map { String($0.split(separator: "/").last ?? "") }, ["a.json[0]", "a.json[1]"])
    }

    func testSingleObjectFile() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("one.json", #"{"q": 1}"#)
        XCTAssertEqual(try locations(path).count, 1)
    }

    func testDirectoryIsWalkedInSortedOrder() throws {
        let dir = try TemporaryDirectory()
        try dir.write("train/geometry/2.json", #"{"q": "g2"}"#)
        try dir.write("train/algebra/10.json", #"{"q": "a10"}"#)
        try dir.write("train/algebra/1.json", #"{"q": "a1"}"#)
        try dir.write("train/README.txt", "ignored")
        var questions: [String] = []
        try JSONRecordSource.forEachRecord(at: dir.path("train")) { questions.append(try $0.string("q")) }
        XCTAssertEqual(questions, ["a1", "a10", "g2"])
    }

    func testBadArrayElementAndBadTopLevel() throws {
        let dir = try TemporaryDirectory()
        let array = try dir.write("b.json", #"[{"q": 1}, 5]"#)
        assertTaskError(try locations(array), contains: ["b.json[1]", "expected a JSON object, found a number"])
        let scalar = try dir.write("c.json", "42")
        assertTaskError(try locations(scalar), contains: ["c.json", "expected an object or an array"])
        let broken = try dir.write("d.json", "{")
        assertTaskError(try locations(broken), contains: ["d.json", "malformed JSON"])
    }

    func testMissingPath() {
        assertTaskError(try locations("/nonexistent/dir"), contains: ["/nonexistent/dir", "no such file"])
    }
}
