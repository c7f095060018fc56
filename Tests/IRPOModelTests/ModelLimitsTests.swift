import Foundation
import IRPOFormats
import XCTest
@testable import IRPOModel

/// Damaged or hostile model files: declared sizes are checked (with overflow-checked arithmetic)
/// against the limits and against the tensors present before anything is allocated.
final class ModelLimitsTests: XCTestCase {
    private let base: [String: Any] = [
        "model_type": "llama", "vocab_size": 23, "hidden_size": 16, "intermediate_size": 24,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 64,
    ]

    private func decode(_ object: [String: Any]) throws -> LlamaConfiguration {
        try LlamaConfiguration.decode(JSONSerialization.data(withJSONObject: object), file: "/m/config.json")
    }

    func testEssentialKeysAreRequired() {
        XCTAssertThrowsError(try LlamaConfiguration.decode(Data("{}".utf8), file: "/m/config.json")) { error in
            XCTAssertTrue("\(error)".contains("/m/config.json") && "\(error)".contains("is missing"), "\(error)")
        }
        for key in ["hidden_size", "num_hidden_layers", "vocab_size", "intermediate_size", "num_attention_heads"] {
            var object = base
            object[key] = nil
            XCTAssertThrowsError(try decode(object), key) { error in
                XCTAssertTrue("\(error)".contains("key \(key) is missing"), "\(error)")
            }
        }
        XCTAssertNoThrow(try decode(base).validate())
    }

    func testHugeDimensionsAreRejectedNamingKeyAndLimit() {
        let huge = 1 << 62
        let cases: [(String, Int)] = [
            ("hidden_size", ModelLimits.maxDimension), ("intermediate_size", ModelLimits.maxDimension),
            ("num_hidden_layers", ModelLimits.maxLayers), ("max_position_embeddings", ModelLimits.maxPositionEmbeddings),
            ("head_dim", ModelLimits.maxDimension),
        ]
        for (key, limit) in cases {
            var object = base
            object[key] = huge
            XCTAssertThrowsError(try decode(object).validate(), key) { error in
                XCTAssertTrue("\(error)".contains(key) && "\(error)".contains("\(limit)"), "\(error)")
            }
        }
        var heads = base
        heads["num_attention_heads"] = huge
        heads["hidden_size"] = huge
        XCTAssertThrowsError(try decode(heads).validate())
        var vocabulary = base
        vocabulary["vocab_size"] = huge
        XCTAssertThrowsError(try decode(vocabulary).validate()) { error in
            XCTAssertTrue("\(error)".contains("vocab_size"), "\(error)")
        }
        // Each size within its limit, but together too many parameters.
        var together = base
        together["hidden_size"] = ModelLimits.maxDimension
        together["intermediate_size"] = ModelLimits.maxDimension
        together["num_hidden_layers"] = ModelLimits.maxLayers
        together["num_attention_heads"] = 16
        together["num_key_value_heads"] = 16
        XCTAssertThrowsError(try decode(together).validate()) { error in
            XCTAssertTrue("\(error)".contains("\(ModelLimits.maxParameters)"), "\(error)")
        }
    }

    func testParameterCountOverflowIsAnError() {
        let configuration = LlamaConfiguration(vocabularySize: Int.max / 2, hiddenSize: Int.max / 2, intermediateSize: 8,
                                               layerCount: 1, attentionHeads: 1, maxPositionEmbeddings: 8)
        XCTAssertThrowsError(try configuration.checkedParameterCount()) { error in
            XCTAssertTrue("\(error)".contains("overflows"), "\(error)")
        }
        XCTAssertEqual(try TestSupport.tinyConfiguration().checkedParameterCount(),
                       ParameterLayout(configuration: TestSupport.tinyConfiguration()).totalCount)
        XCTAssertEqual(try TestSupport.tinyConfiguration(modelType: "qwen2", tied: true).checkedParameterCount(),
                       ParameterLayout(configuration: TestSupport.tinyConfiguration(modelType: "qwen2", tied: true)).totalCount)
    }

    func testConfigLargerThanTheWeightsIsRefusedBeforeAllocating() throws {
        let folder = try TestSupport.temporaryFolder(self)
        let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(), seed: 1)
        try model.save(to: folder)
        // A 7B-sized config.json next to the tiny weights: refused from the tensor headers
        // (allocating first would ask for about 27 GB).
        var object = base
        object["hidden_size"] = 4096
        object["intermediate_size"] = 11008
        object["num_hidden_layers"] = 32
        object["num_attention_heads"] = 32
        object["num_key_value_heads"] = 32
        object["vocab_size"] = 32000
        try JSONSerialization.data(withJSONObject: object).write(to: folder.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try LlamaModel.loadModel(path: folder.path)) { error in
            XCTAssertTrue("\(error)".contains("model.embed_tokens.weight") || "\(error)".contains("shape"), "\(error)")
        }
        // More layers than the files hold: the first missing tensor is named.
        var deeper = base
        deeper["num_hidden_layers"] = ModelLimits.maxLayers
        try JSONSerialization.data(withJSONObject: deeper).write(to: folder.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try LlamaModel.loadModel(path: folder.path)) { error in
            XCTAssertTrue("\(error)".contains("model.layers.2."), "\(error)")
        }
        // An oversized config.json is refused without reading it whole.
        try Data(repeating: UInt8(ascii: " "), count: ModelLimits.maxConfigurationBytes + 1)
            .write(to: folder.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try LlamaModel.loadModel(path: folder.path)) { error in
            XCTAssertTrue("\(error)".contains("config.json") && "\(error)".contains("\(ModelLimits.maxConfigurationBytes)"), "\(error)")
        }
        // An empty config.json is an error naming the file and a missing key.
        try Data("{}".utf8).write(to: folder.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try LlamaModel.loadModel(path: folder.path)) { error in
            XCTAssertTrue("\(error)".contains("config.json") && "\(error)".contains("is missing"), "\(error)")
        }
    }

    /// Overwrites the float32 value of metadata `key` in the GGUF at `url`.
    private func patchFloat(_ url: URL, key: String, to value: Float) throws {
        var bytes = try Data(contentsOf: url)
        let name = Data(key.utf8)
        guard let range = bytes.range(of: name) else { return XCTFail("no \(key) in the file") }
        // The key is followed by the value type (u32) and the float32 value.
        let valueStart = range.upperBound + 4
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.replaceSubrange(valueStart..<(valueStart + 4), with: $0) }
        try bytes.write(to: url)
    }

    func testNonFiniteOrNegativeRopeBaseInGGUFIsAnError() throws {
        let folder = try TestSupport.temporaryFolder(self)
        var scaled = TestSupport.tinyConfiguration()
        scaled.ropeTheta = 100
        scaled.ropeScaling = .init(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalMaxPositionEmbeddings: 32)
        for (index, configuration) in [TestSupport.tinyConfiguration(), scaled].enumerated() {
            for bad in [Float.nan, -Float.infinity, Float.infinity, -10_000, 0] {
                let url = folder.appendingPathComponent("rope\(index).gguf")
                try LlamaModel(configuration: configuration, seed: 2).saveGGUF(to: url)
                try patchFloat(url, key: "llama.rope.freq_base", to: bad)
                XCTAssertThrowsError(try LlamaModel(ggufFile: url), "\(bad)") { error in
                    XCTAssertTrue("\(error)".contains("rope.freq_base"), "\(error)")
                }
            }
        }
    }
}
