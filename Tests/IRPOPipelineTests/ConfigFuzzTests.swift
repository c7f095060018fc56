import Foundation
import IRPOFuzzSupport
import XCTest
@testable import IRPOPipeline
import IRPOTasks

/// Seeded mutations of the example YAML configs, salted with deep nesting hidden behind quotes,
/// comments, block scalars, anchors, tags and odd line breaks: every case parses or fails with a
/// `PipelineError`; none overflows the YAML parser's stack (which would end the test process).
final class ConfigFuzzTests: XCTestCase {
    private static let fragments = [
        "'", "\"", "''", "\\\"", "#", " #", "|", ">", "|-", "---", "--- ", "...", "? ", ": ", "- ", "&a ", "*a", "!!seq ",
        "!!map ", "!x ", "\r", "\r\n", "\n", "\u{85}", "\u{2028}", "\u{FEFF}", "\t", "  ", ",", "[", "{", "]", "}",
        "key: ", "x", "1", "null", "<<: *a", "%YAML 1.2\n", "a: &a [1, 2]\n",
    ]
    private static let openers = ["[", "{a: ", "- ", "? ", "[{", "- [", "{\"k\": [", "!!seq [", "&n ["]

    func testMutatedYAMLConfigsNeverCrash() throws {
        let examples = ExampleConfigTests.examples
        let sources = try FileManager.default.contentsOfDirectory(at: examples, includingPropertiesForKeys: nil)
            .filter { ["yaml", "yml"].contains($0.pathExtension) }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
            .map { try String(contentsOf: $0, encoding: .utf8) }
        XCTAssertFalse(sources.isEmpty)
        // IRPO_CONFIG_FUZZ_CASES and IRPO_CONFIG_FUZZ_SEED run more or other cases.
        let campaign = FuzzCampaign(name: "CONFIG", defaultCases: 1000)
        let report = try campaign.run { _, random in
            var scalars = Array(sources[random.below(sources.count)].unicodeScalars)
            for _ in 0..<(1 + random.below(6)) {
                let position = random.below(scalars.count + 1)
                switch random.below(5) {
                case 0, 1:
                    let fragment = Self.fragments[random.below(Self.fragments.count)]
                    scalars.insert(contentsOf: fragment.unicodeScalars, at: position)
                case 2:
                    // Deep nesting, sometimes deeper than the parser's stack would take.
                    let opener = Self.openers[random.below(Self.openers.count)]
                    let depth = random.below(2) == 0 ? 1 + random.below(80) : 1000 + random.below(20_000)
                    scalars.insert(contentsOf: String(repeating: opener, count: depth).unicodeScalars, at: position)
                case 3:
                    let length = min(scalars.count - min(position, scalars.count), random.below(20))
                    scalars.removeSubrange(position..<(position + length))
                default:
                    let from = random.below(scalars.count + 1), length = min(scalars.count - from, random.below(60))
                    scalars.insert(contentsOf: Array(scalars[from..<(from + length)]), at: position)
                }
            }
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars)
            do {
                _ = try ConfigValue.parseYAML(String(view), file: "fuzz.yaml")
                return .accepted
            } catch is PipelineError {
                return .rejected
            }
        }
        print(report.summary)
        XCTAssertEqual(campaign.violations(report), [])
        XCTAssertGreaterThan(report.accepted, 0)
    }
}
