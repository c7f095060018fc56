import Foundation
import XCTest
@testable import IRPOPipeline

/// Counts, sizes and shapes of configs that once trapped or grew without bound: each is now a
/// `PipelineError` naming the key (or file), the value and the limit.
final class ConfigLimitsTests: XCTestCase {
    var modelFolder: URL!

    override func setUpWithError() throws {
        modelFolder = FileManager.default.temporaryDirectory.appendingPathComponent("irpo-limits-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: modelFolder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: modelFolder) }

    /// `"key": value` at the top level or inside `section` (the task section keeps its kind).
    private static func body(_ section: String?, _ key: String, _ value: Int) -> String {
        guard let section else { return "\"\(key)\": \(value)" }
        let kind = section == "task" ? "\"kind\": \"synthetic-arithmetic\", " : ""
        return "\"\(section)\": {\(kind)\"\(key)\": \(value)}"
    }

    private func message(json body: String) -> String {
        let task = body.contains("\"task\":") ? "" : ", \"task\": {\"kind\": \"synthetic-arithmetic\"}"
        let json = "{\"seed_model\": \"\(modelFolder.path)\"\(task)\(body.isEmpty ? "" : ", " + body)}"
        return Self.message { _ = try RunConfig(json: Data(json.utf8), file: "limits.json") }
    }

    private static func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch let error as PipelineError {
            return error.message
        } catch {
            return "unexpected \(error)"
        }
    }

    private static func assertMentions(_ message: String, _ pieces: [String], file: StaticString = #filePath, line: UInt = #line) {
        for piece in pieces {
            XCTAssertTrue(message.contains(piece), "\(message.debugDescription) lacks \(piece.debugDescription)", file: file, line: line)
        }
    }

    func testZeroTrainingBatchSizeIsAnErrorNotADivisionByZero() {
        let text = message(json: "\"training\": {\"batch_size\": 0}")
        Self.assertMentions(text, ["training.batch_size", "value 0", "\(PipelineLimits.maxTrainingBatchSize)"])
        Self.assertMentions(message(json: "\"training\": {\"micro_batch_size\": 0}"), ["training.micro_batch_size", "value 0"])
    }

    func testHugeCountsNameKeyValueAndBound() {
        let huge = 1 << 62
        let cases: [(section: String?, key: String, bound: Int)] = [
            (nil, "iterations", PipelineLimits.maxIterations),
            (nil, "threads", PipelineLimits.maxThreads),
            ("task", "synthetic_train_questions", PipelineLimits.maxQuestions),
            ("task", "synthetic_test_questions", PipelineLimits.maxQuestions),
            ("task", "synthetic_dev_questions", PipelineLimits.maxQuestions),
            ("task", "train_limit", PipelineLimits.maxQuestions),
            ("sampling", "samples_per_question", PipelineLimits.maxSamplesPerQuestion),
            ("sampling", "batch_size", PipelineLimits.maxSamplingBatchSize),
            ("sampling", "top_k", PipelineLimits.maxTopK),
            ("sampling", "max_new_tokens", PipelineLimits.maxSequenceTokens),
            ("pairs", "pairs_per_question", PipelineLimits.maxPairsPerQuestion),
            ("pairs", "max_pairs", PipelineLimits.maxPairs),
            ("training", "warmup_steps", PipelineLimits.maxSteps),
            ("training", "batch_size", PipelineLimits.maxTrainingBatchSize),
            ("training", "micro_batch_size", PipelineLimits.maxTrainingBatchSize),
            ("training", "epochs", PipelineLimits.maxEpochs),
            ("training", "max_steps", PipelineLimits.maxSteps),
            ("training", "max_length", PipelineLimits.maxSequenceTokens),
            ("training", "checkpoint_every", PipelineLimits.maxSteps),
            ("training", "selection_questions", PipelineLimits.maxQuestions),
            ("training", "selection_every", PipelineLimits.maxSteps),
            ("evaluation", "majority_k", PipelineLimits.maxSamplesPerQuestion),
            ("evaluation", "limit", PipelineLimits.maxQuestions),
            ("evaluation", "max_new_tokens", PipelineLimits.maxSequenceTokens),
        ]
        for (section, key, bound) in cases {
            for value in [huge, bound + 1] {
                let body = Self.body(section, key, value)
                let path = section.map { "\($0).\(key)" } ?? key
                Self.assertMentions(message(json: body), ["`\(path)`", "value \(value)", "\(bound)"])
            }
            // The bound itself is accepted (checked up to the first later error, if any).
            let body = Self.body(section, key, bound)
            XCTAssertFalse(message(json: body).contains("value \(bound), expected an integer in"), key)
        }
        // Values at the largest double that is an integer still give an error, not a trap.
        Self.assertMentions(message(json: "\"training\": {\"epochs\": 1e300}"), ["training.epochs", "an integer"])
    }

    func testBackendTimeoutsAndCountsAreBounded() {
        let backend = "\"sampling\": {\"backend\": {\"type\": \"openai\", \"base_url\": \"http://127.0.0.1:1\", \"model\": \"m\""
        Self.assertMentions(message(json: backend + ", \"timeout_seconds\": 1e300}}"), ["timeout_seconds", "1e+300"])
        Self.assertMentions(message(json: backend + ", \"max_concurrency\": \(1 << 62)}}"), ["max_concurrency", "\(1 << 62)"])
        Self.assertMentions(message(json: backend + ", \"max_retries\": \(1 << 62)}}"), ["max_retries", "\(1 << 62)"])
        Self.assertMentions(message(json: "\"trainer\": {\"server_reload\": {\"ready_url\": \"http://127.0.0.1:1/v1/models\", \"timeout_seconds\": 1e300}}"),
                            ["trainer.server_reload.timeout_seconds"])
    }

    // MARK: - Config files: size, nesting, alias expansion

    private func yamlMessage(_ text: String) -> String {
        Self.message { _ = try RunConfig(yaml: text, file: "limits.yaml") }
    }

    func testDeepYAMLIsRefusedBeforeParsing() {
        let depth = 5000
        let flow = "name: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n"
        Self.assertMentions(yamlMessage(flow), ["limits.yaml (line 1)", "deeper than \(PipelineLimits.maxConfigDepth)"])
        let mapping = "name: " + String(repeating: "{a: ", count: depth) + "1" + String(repeating: "}", count: depth) + "\n"
        Self.assertMentions(yamlMessage(mapping), ["deeper than \(PipelineLimits.maxConfigDepth)"])
        let dashes = "name:\n" + String(repeating: "- ", count: depth) + "x\n"
        Self.assertMentions(yamlMessage(dashes), ["deeper than \(PipelineLimits.maxConfigDepth)"])
        var indented = "name:\n"
        for level in 0..<200 { indented += String(repeating: " ", count: level + 1) + "k\(level):\n" }
        Self.assertMentions(yamlMessage(indented), ["deeper than \(PipelineLimits.maxConfigDepth)"])
        // Document markers, byte order marks and other line breaks hide nothing.
        let brackets = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        Self.assertMentions(yamlMessage("--- " + brackets + "\n"), ["deeper than"])
        Self.assertMentions(yamlMessage("\u{FEFF}" + brackets + "\n"), ["deeper than"])
        Self.assertMentions(yamlMessage("name: x\n\u{FEFF}y: " + brackets + "\n"), ["deeper than"])
        var returns = "name:\r"
        for level in 0..<200 { returns += String(repeating: " ", count: level + 1) + "k\(level):\r" }
        Self.assertMentions(yamlMessage(returns), ["deeper than"])
        var separators = "name:\u{2028}"
        for level in 0..<200 { separators += String(repeating: " ", count: level + 1) + "k\(level):\u{85}" }
        Self.assertMentions(yamlMessage(separators), ["deeper than"])
        // Brackets inside quotes, comments and block scalars do not count; a quote inside a plain
        // scalar does not hide the brackets after it.
        let hidden = "name: don't\nx: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n"
        Self.assertMentions(yamlMessage(hidden), ["deeper than"])
        let quoted = "name: '" + String(repeating: "[", count: 100) + "' # " + String(repeating: "{", count: 100) + "\n"
            + "task:\n  kind: synthetic-arithmetic\n  prompt: |\n    " + String(repeating: "[", count: 100) + "\n"
        XCTAssertFalse(yamlMessage(quoted).contains("deeper than"), yamlMessage(quoted))
    }

    func testAliasesCannotNestPastTheDepthLimit() {
        // Each line is 41 levels deep as written; the alias puts one inside the other (81 levels),
        // which only the converter sees.
        let inner = "a: &a " + String(repeating: "[", count: 40) + "x" + String(repeating: "]", count: 40) + "\n"
        let outer = "b: " + String(repeating: "[", count: 40) + "*a" + String(repeating: "]", count: 40) + "\n"
        XCTAssertNil(ConfigBounds.yamlDepthExceeding(inner + outer, limit: PipelineLimits.maxConfigDepth))
        Self.assertMentions(yamlMessage(inner + outer), ["limits.yaml", "deeper than \(PipelineLimits.maxConfigDepth)"])
    }

    func testBillionLaughsStopsAtTheNodeLimit() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            let previous = "*a\(level - 1)"
            text += "a\(level): &a\(level) [\(Array(repeating: previous, count: 10).joined(separator: ", "))]\n"
        }
        XCTAssertLessThan(text.utf8.count, 1200)
        let start = Date()
        Self.assertMentions(yamlMessage(text), ["limits.yaml", "more than \(PipelineLimits.maxConfigNodes) values", "aliases"])
        XCTAssertLessThan(Date().timeIntervalSince(start), 30)
    }

    func testVeryDeepJSONIsRefused() {
        let depth = 200_000
        let json = "{\"name\": " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"
        let text = Self.message { _ = try RunConfig(json: Data(json.utf8), file: "deeper.json") }
        XCTAssertTrue(text.contains("deeper.json"), text)
    }

    func testDeepJSONIsRefused() {
        let depth = 400
        let json = "{\"name\": " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"
        let text = Self.message { _ = try RunConfig(json: Data(json.utf8), file: "deep.json") }
        XCTAssertTrue(text.contains("deep.json") && (text.contains("deeper than") || text.contains("not valid JSON")), text)
    }

    func testOversizedConfigIsRefused() throws {
        let big = "name: x\n" + String(repeating: "# padding\n", count: PipelineLimits.maxConfigBytes / 10 + 1)
        Self.assertMentions(yamlMessage(big), ["limits.yaml", "over the limit of \(PipelineLimits.maxConfigBytes) bytes"])
        let file = modelFolder.appendingPathComponent("big.json")
        try Data(repeating: UInt8(ascii: " "), count: PipelineLimits.maxConfigBytes + 10).write(to: file)
        Self.assertMentions(Self.message { _ = try RunConfig(contentsOf: file) }, ["big.json", "\(PipelineLimits.maxConfigBytes) bytes"])
    }

    func testDepthScanPassesOrdinaryYAML() {
        let text = """
            name: run # comment with [ and {
            sampling:
              temperatures: [0.7, 1.1]
              stop: ["]", "}", 'it''s [']
              backend: {type: local}
            trainer:
              command:
                - sh
                - -c
                - "echo {model} ["
            """
        XCTAssertNil(ConfigBounds.yamlDepthExceeding(text, limit: 8))
    }
}
