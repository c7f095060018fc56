import Foundation
import IRPOFuzzSupport
import IRPOModel
import XCTest
@testable import IRPOTraining

/// Seeded structure-aware mutations of pairs and SFT JSONL files as `irpo train` reads them
/// (fields missing, mistyped, empty, huge or negative ids, long rows, mixed kinds, broken lines,
/// deep nesting): every file yields examples that select and score, or a `TrainingError`; none
/// traps, hangs past the per-case bound or grows memory past the bound.
final class PairsFuzzTests: XCTestCase {
    private static let keys = ["prompt", "chosen", "rejected", "completion"]
    private static var ids: [Any] {
        [0, 1, 96, 97, 98, -1, Int(Int32.max), Int(Int32.max) + 1, 1 << 62, Int.max, Int.min, 1.5, 1e308, "5", NSNull(), true]
    }
    private static var texts: [Any] {
        ["", "a", "ab cd", "\u{0}", "é🙂", String(repeating: "z", count: 5000), 3, NSNull(), ["a"], [["role": "user"]]]
    }
    /// Raw lines that are not one JSON object.
    private static let rawLines = ["", " ", "\r", "{", "}", "[]", "null", "1", "\"x\"", "{\"prompt_ids\": [1,", "\u{FEFF}{}",
                                   String(repeating: "[", count: 10_000), "{\"prompt_ids\": " + String(repeating: "[", count: 600) + "]",
                                   "{\"prompt_ids\": [1e400], \"completion_ids\": [1]}", "{\"prompt_ids\":[1],\"completion_ids\":[2],\"prompt_ids\":[3]}"]

    private func row(from base: [String: Any], using random: inout FuzzRandom) -> [String: Any] {
        var row = base
        for _ in 0..<random.below(4) {
            let key = random.pick(Self.keys) + (random.oneIn(3) ? "" : "_ids")
            switch random.below(7) {
            case 0: row[key] = nil
            case 1: row[key] = key.hasSuffix("_ids") ? random.pick(Self.texts) : random.pick(Self.ids)
            case 2: row[key] = key.hasSuffix("_ids") ? [random.pick(Self.ids)] as Any : random.pick(Self.texts)
            case 3:  // one id extreme
                var values = row[key] as? [Any] ?? [1]
                if values.isEmpty { values = [1] }
                values[random.below(values.count)] = random.pick(Self.ids)
                row[key] = values
            case 4: row[key] = [Any]()
            case 5: row[key] = Array(repeating: random.below(97), count: random.pick([1, 60, 200, 5000]))  // long rows
            default: row[random.pick(["extra", "", "prompt_ids ", "PROMPT"])] = random.pick(Self.ids + Self.texts)
            }
        }
        return row
    }

    func testMutatedPairsFilesSelectAndScoreOrThrowTrainingErrors() throws {
        let fixtures = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let pairs = try String(contentsOf: fixtures.appendingPathComponent("pairs.jsonl"), encoding: .utf8)
        let baseRows = try pairs.split(separator: "\n").map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        let sftRows: [[String: Any]] = baseRows.map { ["prompt_ids": $0["prompt_ids"] as Any, "completion_ids": $0["chosen_ids"] as Any] }
        let model = try LlamaTrainingModel(path: fixtures.appendingPathComponent("model").path)
        let context = 128  // the fixture model's max_position_embeddings
        let campaign = FuzzCampaign(name: "PAIRS", defaultCases: 1500)
        var scored = 0
        let report = try campaign.run { index, random in
            let rows = random.oneIn(3) ? sftRows : baseRows
            var lines: [String] = []
            for _ in 0..<(1 + random.below(6)) {
                if random.oneIn(12) { lines.append(random.pick(Self.rawLines)); continue }
                let entry = random.oneIn(2) ? random.pick(rows) : self.row(from: random.pick(rows), using: &random)
                guard let data = try? JSONSerialization.data(withJSONObject: entry), var line = String(data: data, encoding: .utf8) else { continue }
                if random.oneIn(15) { line = String(line.prefix(random.below(line.count + 1))) }  // cut short
                lines.append(line)
            }
            let text = lines.joined(separator: random.oneIn(8) ? "\r\n" : "\n")
            do {
                let dataset = try PreferenceDataset(jsonl: Data(text.utf8), file: "fuzz/pairs.jsonl")
                // Text rows go through a character tokenizer over the fixture model's 97 ids.
                let examples = try dataset.tokenized { text, _ in text.unicodeScalars.prefix(4096).map { Int32($0.value % 97) } }
                let selection = try ExampleSelection(examples, maxLength: random.pick([2, 16, context]), file: "fuzz/pairs.jsonl")
                XCTAssertTrue(selection.examples.allSatisfy { $0.maxLength <= context }, "case \(index)")
                if index % 8 == 0 {
                    // Score the kept rows as the reference pass of `irpo train` does.
                    let values = try ReferenceLogProbs.compute(model: model, examples: Array(selection.examples.prefix(4)), referenceModel: "fuzz")
                    XCTAssertTrue(values.chosen.allSatisfy(\.isFinite), "case \(index)")
                    scored += 1
                }
                return .accepted
            } catch let error as TrainingError {
                XCTAssertTrue("\(error)".contains("fuzz/pairs.jsonl") || "\(error)".contains("max length"), "case \(index): \(error)")
                return .rejected
            } catch let error as ModelError {
                // Ids past the model's vocabulary are refused when the batch is built.
                XCTAssertTrue("\(error)".contains("outside the vocabulary"), "case \(index): \(error)")
                return .rejected
            }
        }
        print(report.summary)
        XCTAssertEqual(campaign.violations(report), [])
        XCTAssertGreaterThan(report.accepted, report.rejected / 10)
        XCTAssertGreaterThan(report.rejected, 0)
        XCTAssertGreaterThan(scored, 0)
    }
}
