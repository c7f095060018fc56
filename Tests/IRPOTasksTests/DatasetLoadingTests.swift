import Foundation
import XCTest
@testable import IRPOTasks

final class DatasetLoadingTests: XCTestCase {
    func testLimitStopsEarly() throws {
        let dir = try TemporaryDirectory()
        // The third line is broken: a limit of 2 never reads it.
        let path = try dir.write("l.jsonl", "{\"question\": \"a\", \"answer\": 1}\n{\"question\": \"b\", \"answer\": 2}\n{broken\n")
        let items = try GenericJSONLDataset().load(path: path, limit: 2)
        XCTAssertEqual(items.map(\.question), ["a", "b"])
        assertTaskError(try GenericJSONLDataset().load(path: path), contains: ["l.jsonl:3"])
        XCTAssertEqual(try GenericJSONLDataset().load(path: path, limit: 0), [])
        assertTaskError(try GenericJSONLDataset().load(path: path, limit: -1), contains: ["'limit'"])
    }

    func testDuplicateIDs() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("d.jsonl", "{\"id\": \"x\", \"question\": \"a\", \"answer\": 1}\n{\"id\": \"x\", \"question\": \"b\", \"answer\": 2}\n")
        assertTaskError(try GenericJSONLDataset().load(path: path), contains: ["d.jsonl:2", "duplicate id", "d.jsonl:1"])
    }

    func testEmptyDataset() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("e.jsonl", "")
        assertTaskError(try GenericJSONLDataset().load(path: path), contains: ["e.jsonl", "no items"])
        let array = try dir.write("e.json", "[]")
        assertTaskError(try GenericJSONLDataset().load(path: array), contains: ["e.json", "no items"])
    }

    func testStem() {
        XCTAssertEqual(DatasetLoading.stem(of: "/a/b/train.jsonl"), "train")
        XCTAssertEqual(DatasetLoading.stem(of: "test"), "test")
    }
}
