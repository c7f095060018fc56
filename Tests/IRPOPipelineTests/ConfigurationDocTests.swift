import Foundation
import XCTest
@testable import IRPOPipeline

/// docs/configuration.md lists exactly the keys the config reader accepts. The reader's keys are
/// found by asking it: an unknown key in a section makes it list that section's valid keys, and
/// a key whose value must not be an object is a leaf.
final class ConfigurationDocTests: XCTestCase {
    static let page = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/configuration.md")
    static let probe = String(repeating: "q", count: 40)

    /// The first backticked word of every table row of the run-config part of the page.
    func documentedKeys() throws -> Set<String> {
        let text = try String(contentsOf: Self.page, encoding: .utf8)
        let configPart = text.components(separatedBy: "## `irpo demo` flags").first ?? text
        var keys = Set<String>()
        for line in configPart.split(separator: "\n") where line.hasPrefix("| `") {
            let rest = line.dropFirst(3)
            if let end = rest.firstIndex(of: "`") { keys.insert(String(rest[..<end])) }
        }
        return keys
    }

    /// `value` placed at the dotted `path` of an otherwise empty config, as JSON.
    func config(_ path: [String], _ value: Any) throws -> Data {
        var object: Any = value
        for key in path.reversed() { object = [key: object] }
        return try JSONSerialization.data(withJSONObject: object)
    }

    /// The error message of parsing `data` (every probe fails: there is no seed model).
    func message(_ data: Data) -> String {
        do {
            _ = try RunConfig(json: data, file: "probe.json")
            return ""
        } catch {
            return "\(error)"
        }
    }

    /// The valid keys of the section at `path`, or nil when `path` is not a section.
    func sectionKeys(_ path: [String]) throws -> [String]? {
        let text = message(try config(path + [Self.probe], 1))
        let prefix = path.isEmpty ? "" : path.joined(separator: ".") + "."
        guard text.contains("unknown config key `\(prefix)\(Self.probe)`"),
              let range = text.range(of: "valid keys here: ") else { return nil }
        return text[range.upperBound...].components(separatedBy: ", ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// Every leaf key path the reader accepts.
    func acceptedKeys(_ path: [String] = []) throws -> Set<String> {
        guard let keys = try sectionKeys(path) else { return [path.joined(separator: ".")] }
        var result = Set<String>()
        for key in Set(keys) { result.formUnion(try acceptedKeys(path + [key])) }
        return result
    }

    func testThePageListsEveryAcceptedKeyAndNoOther() throws {
        let accepted = try acceptedKeys()
        XCTAssertTrue(accepted.contains("training.alpha"), "the probe finds keys: \(accepted.sorted())")
        XCTAssertTrue(accepted.contains("sampling.backend.seed_mode"), "\(accepted.sorted())")
        XCTAssertTrue(accepted.contains("trainer.server_reload.ready_url"), "\(accepted.sorted())")
        let documented = try documentedKeys()
        XCTAssertEqual(accepted.subtracting(documented).sorted(), [], "keys the reader accepts but docs/configuration.md does not list")
        XCTAssertEqual(documented.subtracting(accepted).sorted(), [], "keys docs/configuration.md lists but the reader rejects")
    }

    /// Each table of keys on the page is exactly the one the schema generates (`irpo run
    /// --print-keys`): key, type, bounds, default and meaning are written once, in the code.
    func testThePageTablesAreTheSchemasTables() throws {
        let text = try String(contentsOf: Self.page, encoding: .utf8)
        let tables = RunConfig.keyTables
        XCTAssertGreaterThanOrEqual(tables.count, 10)
        for table in tables {
            guard let marker = text.range(of: table.marker + "\n") else {
                XCTFail("docs/configuration.md lacks the line \(table.marker); `irpo run --print-keys` prints it with its table")
                continue
            }
            XCTAssertTrue(text[marker.upperBound...].hasPrefix(table.markdown + "\n"),
                          "the table after \(table.marker) is not the schema's; replace it with:\n\(table.markdown)")
        }
        let markers = text.components(separatedBy: "\n").filter { $0.hasPrefix("<!-- config keys: ") }
        XCTAssertEqual(markers, tables.map(\.marker), "one marker per table, in the schema's order")
    }

    /// Every key has a meaning for the docs, and no key path is declared twice.
    func testEveryKeyHasAMeaningAndOneDeclaration() {
        var seen = Set<String>()
        for row in RunConfig.keyTables.flatMap(\.rows) {
            XCTAssertFalse(row.meaning.isEmpty, "\(row.key) has no meaning")
            XCTAssertFalse(row.type.isEmpty, "\(row.key) has no type")
            XCTAssertTrue(seen.insert(row.key).inserted, "\(row.key) is declared twice")
        }
        XCTAssertGreaterThan(seen.count, 80)
    }
}
