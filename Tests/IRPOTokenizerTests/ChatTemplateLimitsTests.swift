import Foundation
import XCTest
@testable import IRPOTokenizer

/// Hostile chat templates: overflow, deep nesting and huge allocations are template errors naming
/// the limit, never a trap, a stack overflow or gigabytes of memory.
final class ChatTemplateLimitsTests: XCTestCase {
    private let messages: [[String: Any]] = [["role": "user", "content": "hi"]]

    /// Parses and renders `source`, expecting a `ChatTemplateError` whose description mentions `mention`.
    private func assertFails(_ source: String, _ mention: String, kind: ChatTemplateError.Kind? = nil,
                             file: StaticString = #filePath, line: UInt = #line) {
        do {
            let output = try ChatTemplate(source).render(messages: messages, addGenerationPrompt: true)
            XCTFail("rendered \(output.prefix(80).debugDescription)… instead of failing", file: file, line: line)
        } catch let error as ChatTemplateError {
            if let kind { XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line) }
            XCTAssertTrue(error.description.contains(mention), "\(error) does not mention \(mention.debugDescription)",
                          file: file, line: line)
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
        }
    }

    private func render(_ source: String) throws -> String {
        try ChatTemplate(source).render(messages: messages, addGenerationPrompt: true)
    }

    func testIntegerOverflowIsATemplateError() throws {
        let max = Int.max
        assertFails("{{ \(max) + 1 }}", "integer overflow", kind: .runtime)
        assertFails("{{ -\(max) - 2 }}", "integer overflow")
        assertFails("{{ \(max) * 2 }}", "integer overflow")
        assertFails("{{ 2 ** 64 }}", "integer overflow")
        assertFails("{{ 3 ** 4611686018427387904 }}", "integer overflow")
        assertFails("{{ -(-\(max) - 1) }}", "integer overflow")
        assertFails("{{ (-\(max) - 1) // -1 }}", "integer overflow")
        assertFails("{{ (-\(max) - 1) | abs }}", "abs")
        assertFails("{{ (10.0 ** 300) | int }}", "cannot convert")
        assertFails("{{ (10.0 ** 400) | int }}", "cannot convert")
        // Ordinary arithmetic is unchanged (values as jinja2 prints them).
        XCTAssertEqual(try render("{{ [7 // 2, -7 // 2, -7 % 3, 7 % -3, 2 ** 62, 1 ** 4611686018427387904, (-1) ** 3, 2.7 | int, (-2.7) | int, (-5) | abs] }}"),
                       "[3, -4, 2, -2, 4611686018427387904, 1, -1, 2, -2, 5]")
    }

    func testHugeStringsAndListsAreRefusedBeforeAllocation() throws {
        let limit = "\(JinjaLimits.maxStringBytes)"
        assertFails("{{ 'x' * 100000000 }}", limit)
        assertFails("{{ 'x' * 4611686018427387904 }}", limit)
        assertFails("{{ ['x'] * 100000000 }}", "\(JinjaLimits.maxListCount)")
        assertFails("{{ range(1000000000) | length }}", "\(JinjaLimits.maxListCount)")
        assertFails("{{ range(-9223372036854775807 - 1, 9223372036854775807) | length }}", "over the limit")
        assertFails("{{ 'a' | indent(4611686018427387904) }}", "\(JinjaLimits.maxIndentWidth)")
        assertFails("{{ ('a\\n' * 500000) | indent(1000) }}", limit)
        // Blank lines are not indented, so they do not count.
        XCTAssertEqual(try render("{{ ('\\n' * 1000000) | indent(1000) | length }}"), "1000000")
        assertFails("{{ [1] | tojson(indent=4611686018427387904) }}", "\(JinjaLimits.maxIndentWidth)")
        assertFails("{{ ('x' * 1000000) | replace('x', 'yy') }}", limit)
        // One long string repeated in a list: printing, joining and JSON stop at the limit.
        assertFails("{% set s = 'x' * 1000000 %}{{ [s, s] }}", limit)
        assertFails("{% set s = 'x' * 1000000 %}{{ [s, s] | join }}", limit)
        assertFails("{% set s = 'x' * 1000000 %}{{ [s, s] | tojson }}", limit)
        assertFails("{% set s = 'x' * 1000000 %}{{ s ~ s }}", limit)
        // The output as a whole is bounded too.
        assertFails("{% for i in range(3) %}{{ 'x' * 1000000 }}{% endfor %}", "rendered prompt")
        // Huge steps end a slice or a range instead of overflowing.
        XCTAssertEqual(try render("{{ [1, 2, 3][2::9223372036854775807] }}|{{ [1, 2, 3][::-9223372036854775807 - 1] }}"), "[3]|[3]")
        XCTAssertEqual(try render("{{ range(5, 10, 9223372036854775807) | list }}|{{ range(9223372036854775807, -9223372036854775807 - 1, -9223372036854775807 - 1) | list }}"),
                       "[5]|[9223372036854775807, -1]")
        XCTAssertEqual(try render("{{ ('ab' * 3) | replace('b', 'cc') }}|{{ range(2, 11, 4) | list }}|{{ range(5, 0, -2) | list }}"),
                       "acc" + "acc" + "acc" + "|[2, 6, 10]|[5, 3, 1]")
    }

    func testDeepNestingIsASyntaxErrorNotAStackOverflow() {
        let depth = 10_000
        let limit = "\(JinjaLimits.maxExpressionDepth)"
        assertFails("{{ " + String(repeating: "(", count: depth) + "1" + String(repeating: ")", count: depth) + " }}", limit, kind: .syntax)
        assertFails("{{ " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + " }}", limit, kind: .syntax)
        assertFails("{{ " + String(repeating: "not ", count: depth) + "x }}", limit, kind: .syntax)
        assertFails("{{ " + String(repeating: "-", count: depth) + "1 }}", limit, kind: .syntax)
        assertFails("{{ 1" + String(repeating: " + 1", count: depth) + " }}", limit, kind: .syntax)
        assertFails("{{ x" + String(repeating: ".a", count: depth) + " }}", limit, kind: .syntax)
        assertFails("{{ x" + String(repeating: " | trim", count: depth) + " }}", limit, kind: .syntax)
        assertFails(String(repeating: "{% if true %}", count: depth) + "x" + String(repeating: "{% endif %}", count: depth),
                    "\(JinjaLimits.maxBlockDepth)", kind: .syntax)
        // Within the limits, nesting still works.
        XCTAssertEqual(try? render("{{ " + String(repeating: "(", count: 100) + "1" + String(repeating: ")", count: 100) + " }}"), "1")
        XCTAssertEqual(try? render("{{ 0" + String(repeating: " + 1", count: 100) + " }}"), "100")
    }

    func testValuesBuiltInLoopsCannotNestOrChainWithoutBound() {
        assertFails("{% set ns = namespace(x=[]) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x }}",
                    "\(JinjaLimits.maxValueDepth)")
        assertFails("{% set ns = namespace(x=none) %}{% set ns.x = ns %}", "namespace")
        assertFails("{% set a = namespace() %}{% set b = namespace(inner=a) %}", "namespace")
    }

    func testLongLoopsStopAtTheStepLimit() {
        assertFails("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "\(JinjaLimits.maxSteps) steps")
        assertFails("{{ range(100000) | list | unique | length }}", "steps")
        // Scanning a long string over and over counts its length.
        assertFails("{% set s = 'x' * 1000000 %}{% for i in range(100000) %}{% if 'y' in s[i:] %}{% endif %}{% endfor %}", "steps")
    }

    func testOversizedTemplateIsRefused() {
        assertFails(String(repeating: "x", count: JinjaLimits.maxTemplateBytes + 1), "\(JinjaLimits.maxTemplateBytes)")
    }

    func testMaximalNestingRendersOnAThreadStack() throws {
        // The server renders on pool threads (8 MiB stacks): the deepest accepted template must
        // fit in a quarter of that, even in a debug build.
        let depth = JinjaLimits.maxExpressionDepth - 2
        let expression = "{{ " + String(repeating: "(", count: depth) + "1" + String(repeating: ")", count: depth) + " }}"
        let blocks = String(repeating: "{% if true %}", count: JinjaLimits.maxBlockDepth - 1) + "y"
            + String(repeating: "{% endif %}", count: JinjaLimits.maxBlockDepth - 1)
        let list = "{{ " + String(repeating: "[", count: 120) + String(repeating: "]", count: 120) + " | length }}"
        let chain = "{{ 0" + String(repeating: " + 1", count: JinjaLimits.maxExpressionDepth - 1) + " }}"
        let done = expectation(description: "rendered")
        let result = ResultBox()
        let thread = Thread {
            result.value = Result { try [expression, blocks, list, chain].map { try ChatTemplate($0).render(messages: [], addGenerationPrompt: false) } }
            done.fulfill()
        }
        thread.stackSize = 2 << 20
        thread.start()
        wait(for: [done], timeout: 120)
        XCTAssertEqual(try result.value?.get(), ["1", "y", "1", "\(JinjaLimits.maxExpressionDepth - 1)"])
    }
}

private final class ResultBox: @unchecked Sendable {
    var value: Result<[String], any Error>?
}
