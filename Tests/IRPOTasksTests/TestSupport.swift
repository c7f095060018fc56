import Foundation
import XCTest
@testable import IRPOTasks

/// A temporary directory removed at the end of the test.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("irpo-tasks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `text` to `name` (creating subdirectories) and returns the path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
        return file.path
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// Asserts that `body` throws a `TaskError` whose message contains every fragment.
func assertTaskError<T>(_ body: @autoclosure () throws -> T, contains fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected an error containing \(fragments)", file: file, line: line)
    } catch let error as TaskError {
        for fragment in fragments {
            XCTAssertTrue(error.description.contains(fragment), "message \"\(error.description)\" lacks \"\(fragment)\"", file: file, line: line)
        }
    } catch {
        XCTFail("expected TaskError, got \(error)", file: file, line: line)
    }
}
