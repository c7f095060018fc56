import Foundation
import IRPOFuzzSupport
import XCTest
@testable import IRPOTokenizer

/// Seeded structure-aware mutations of the golden chat templates: every one parses and renders or
/// fails with a `ChatTemplateError`; none traps (a trap would end the test process).
final class ChatTemplateFuzzTests: XCTestCase {
    private static let fragments = [
        "9223372036854775807", "-9223372036854775808", "4611686018427387904", "0", "-1", "1e9", "(", ")", "[", "]",
        "{", "}", " + ", " - ", " * ", " ** ", " // ", " % ", " ~ ", "'x' * 100000000", "range(1000000000)",
        "| indent(9223372036854775807)", "| abs", "| int", "| tojson(indent=99999999)", "| join", "| unique", "| list",
        "not ", "-", "[::9223372036854775807]", "{% if true %}", "{% endif %}", "{% for i in range(100000) %}",
        "{% endfor %}", "{{ ", " }}", "{% set ns = namespace(x=ns) %}", "ns.x", "messages", "loop.index", "'\\u0000'",
    ]

    func testMutatedTemplatesNeverTrap() throws {
        guard let families = try JSONSerialization.jsonObject(with: Fixtures.data("chat_templates.json")) as? [[String: Any]] else {
            return XCTFail("chat_templates.json is not a list of objects")
        }
        let sources = families.compactMap { $0["template"] as? String }
        // IRPO_TEMPLATE_FUZZ_CASES and IRPO_TEMPLATE_FUZZ_SEED run more or other cases.
        let campaign = FuzzCampaign(name: "TEMPLATE", defaultCases: 1500)
        let messages: [[String: Any]] = [["role": "system", "content": "s"], ["role": "user", "content": "hi"],
                                         ["role": "assistant", "content": "yo"], ["role": "user", "content": "more"]]
        let report = campaign.run { _, random in
            var scalars = Array(sources[random.below(sources.count)].unicodeScalars)
            for _ in 0..<(1 + random.below(4)) {
                let position = random.below(scalars.count + 1)
                switch random.below(4) {
                case 0:
                    let fragment = Self.fragments[random.below(Self.fragments.count)]
                    let repeats = random.below(8) == 0 ? 1 + random.below(300) : 1
                    scalars.insert(contentsOf: String(repeating: fragment, count: repeats).unicodeScalars, at: position)
                case 1:
                    let length = min(scalars.count - min(position, scalars.count), random.below(12))
                    scalars.removeSubrange(position..<(position + length))
                case 2:
                    if position < scalars.count { scalars[position] = Unicode.Scalar(UInt8(32 + random.below(95))) }
                default:
                    let from = random.below(scalars.count + 1), length = min(scalars.count - from, random.below(40))
                    scalars.insert(contentsOf: Array(scalars[from..<(from + length)]), at: position)
                }
            }
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars)
            do {
                _ = try ChatTemplate(String(view)).render(messages: messages, addGenerationPrompt: random.below(2) == 0,
                                                           bosToken: "<s>", eosToken: "</s>")
                return .accepted
            } catch {
                XCTAssertTrue(error is ChatTemplateError, "\(type(of: error)): \(error)")
                return .rejected
            }
        }
        print(report.summary)
        XCTAssertEqual(campaign.violations(report), [])
        XCTAssertGreaterThan(report.accepted, campaign.cases / 15, "the mutations should leave many templates working")
    }
}
