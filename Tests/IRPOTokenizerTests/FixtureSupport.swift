import Foundation
import XCTest
@testable import IRPOTokenizer

/// Access to the committed fixtures written by scripts/make_tokenizer_fixtures.py.
enum Fixtures {
    static func url(_ path: String) throws -> URL {
        guard let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            throw TokenizerError(file: "Fixtures", "missing from the test bundle")
        }
        return root.appendingPathComponent(path)
    }

    static func data(_ path: String) throws -> Data { try Data(contentsOf: url(path)) }

    /// The corpus strings, one JSON string per line.
    static func corpus() throws -> [String] {
        try lines("corpus.jsonl").map { line in
            guard let text = try JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed]) as? String else {
                throw TokenizerError(file: "corpus.jsonl", "line is not a JSON string")
            }
            return text
        }
    }

    static func lines(_ path: String) throws -> [String] {
        String(decoding: try data(path), as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// One line of golden.jsonl: ids with special tokens, and the optional variants.
    struct Golden {
        let ids: [Int]
        let idsWithoutSpecial: [Int]?
        let decoded: String?
        let decodedSkippingSpecial: String?
    }

    static func goldens(_ folder: String) throws -> [Golden] {
        try lines("\(folder)/golden.jsonl").map { line in
            guard let row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let ids = row["ids"] as? [Int] else {
                throw TokenizerError(file: "\(folder)/golden.jsonl", "bad line \(line)")
            }
            return Golden(ids: ids, idsWithoutSpecial: row["n"] as? [Int], decoded: row["d"] as? String,
                          decodedSkippingSpecial: row["ds"] as? String)
        }
    }
}

/// Compares a tokenizer with the goldens of `folder` on the corpus: encode with and without special
/// tokens, decode with and without skipping special tokens. Reports the first few differences.
func assertGoldenParity(_ tokenizer: Tokenizer, folder: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let corpus = try Fixtures.corpus()
    let goldens = try Fixtures.goldens(folder)
    XCTAssertGreaterThanOrEqual(goldens.count, 1000, "too few goldens in \(folder)", file: file, line: line)
    var failures: [String] = []
    for (text, golden) in zip(corpus, goldens) {
        let ids = tokenizer.encode(text, addSpecialTokens: true)
        if ids != golden.ids {
            failures.append("encode \(text.debugDescription):\n  got      \(ids)\n  expected \(golden.ids)")
        }
        let plain = tokenizer.encode(text, addSpecialTokens: false)
        if plain != (golden.idsWithoutSpecial ?? golden.ids) {
            failures.append("encode (no special) \(text.debugDescription): got \(plain)")
        }
        let decoded = try tokenizer.decode(golden.ids, skipSpecialTokens: false)
        let expectedDecoded = golden.decoded ?? text
        if decoded != expectedDecoded {
            failures.append("decode \(golden.ids):\n  got      \(decoded.debugDescription)\n  expected \(expectedDecoded.debugDescription)")
        }
        let skipped = try tokenizer.decode(golden.ids, skipSpecialTokens: true)
        if skipped != (golden.decodedSkippingSpecial ?? expectedDecoded) {
            failures.append("decode skipping special \(golden.ids): got \(skipped.debugDescription), expected "
                + (golden.decodedSkippingSpecial ?? expectedDecoded).debugDescription)
        }
    }
    XCTAssert(failures.isEmpty, "\(folder): \(failures.count) differences over \(goldens.count) strings; first:\n"
        + failures.prefix(6).joined(separator: "\n"), file: file, line: line)
}
