import Foundation
import XCTest
@testable import IRPOFormats

/// Shared helpers for IRPOFormats tests: fixtures, temporary folders and error assertions.
enum TestSupport {
    /// The committed fixture folder copied into the test bundle.
    static func fixtures() throws -> URL {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            throw XCTSkip("Fixtures folder missing from the test bundle")
        }
        return url
    }

    /// A fresh temporary folder, removed at the end of the test.
    static func temporaryDirectory(_ testCase: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("irpo-formats-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        testCase.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Reads a fixture JSON object.
    static func json(_ url: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: url)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw FormatError(url: url, "fixture is not a JSON object")
        }
        return object
    }

    /// Float values from an array of uint32 bit patterns in fixture JSON.
    static func floatsFromBits(_ value: Any?) -> [Float] {
        guard let list = value as? [Any] else { return [] }
        return list.map { item in Float(bitPattern: UInt32(truncatingIfNeeded: (item as? NSNumber)?.int64Value ?? 0)) }
    }

    /// Integers from fixture JSON.
    static func ints(_ value: Any?) -> [Int] {
        guard let list = value as? [Any] else { return [] }
        return list.map { ($0 as? NSNumber)?.intValue ?? Int.min }
    }
}

/// Asserts bit-for-bit equality of two float arrays, reporting the first difference.
func assertBitIdentical(_ actual: [Float], _ expected: [Float], _ label: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "\(label): count", file: file, line: line)
    guard actual.count == expected.count else { return }
    for index in actual.indices where actual[index].bitPattern != expected[index].bitPattern {
        XCTFail("\(label): element \(index) is \(actual[index]) (0x\(String(actual[index].bitPattern, radix: 16))), expected \(expected[index]) (0x\(String(expected[index].bitPattern, radix: 16)))", file: file, line: line)
        return
    }
}

/// Asserts that `body` throws a `FormatError` naming `url` whose message contains every fragment.
func assertFormatError<T>(_ body: @autoclosure () throws -> T, file url: URL, contains fragments: [String],
                          file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected a FormatError mentioning \(fragments)", file: file, line: line)
    } catch let error as FormatError {
        XCTAssertEqual(error.file, url.path, "error names the wrong file: \(error)", file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(error.message.contains(fragment), "message lacks '\(fragment)': \(error.message)", file: file, line: line)
        }
    } catch {
        XCTFail("expected a FormatError, got \(error)", file: file, line: line)
    }
}
