import Foundation
import XCTest
@testable import IRPOModel

final class LlamaConfigurationTests: XCTestCase {
    private func decode(_ object: [String: Any]) throws -> LlamaConfiguration {
        try LlamaConfiguration.decode(JSONSerialization.data(withJSONObject: object), file: "/tmp/x/config.json")
    }

    private let base: [String: Any] = [
        "model_type": "llama", "vocab_size": 97, "hidden_size": 32, "intermediate_size": 48,
        "num_hidden_layers": 2, "num_attention_heads": 4,
    ]

    private func with(_ changes: [String: Any]) -> [String: Any] { base.merging(changes) { _, new in new } }

    func testDefaultsFollowTransformers() throws {
        let c = try decode(base)
        XCTAssertEqual(c.keyValueHeads, 4)
        XCTAssertEqual(c.headDimension, 8)
        XCTAssertEqual(c.ropeTheta, 10_000)
        XCTAssertEqual(c.rmsNormEpsilon, 1e-6)
        XCTAssertEqual(c.maxPositionEmbeddings, 2048)
        XCTAssertFalse(c.tieWordEmbeddings)
        XCTAssertFalse(c.attentionBias)
        XCTAssertNil(c.ropeScaling)
        XCTAssertNoThrow(try c.validate())
    }

    func testTransformers5RopeParameters() throws {
        let c = try decode(with(["rope_parameters": ["rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0,
                                                      "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                                      "original_max_position_embeddings": 32]]))
        XCTAssertEqual(c.ropeTheta, 500_000)
        XCTAssertEqual(c.ropeScaling, .init(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalMaxPositionEmbeddings: 32))
    }

    func testLegacyRopeKeys() throws {
        let c = try decode(with(["rope_theta": 1e6, "rope_scaling": ["type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                                                                      "high_freq_factor": 4.0, "original_max_position_embeddings": 8192]]))
        XCTAssertEqual(c.ropeTheta, 1e6)
        XCTAssertEqual(c.ropeScaling?.factor, 32)
        let plain = try decode(with(["rope_theta": 100000.0, "rope_scaling": NSNull()]))
        XCTAssertEqual(plain.ropeTheta, 100_000)
        XCTAssertNil(plain.ropeScaling)
    }

    func testQwen2HasQKVBiasAndMistralDefaults() throws {
        let qwen = try decode(with(["model_type": "qwen2", "num_key_value_heads": 2, "sliding_window": 4096, "use_sliding_window": false]))
        XCTAssertTrue(qwen.attentionBias)
        XCTAssertNil(qwen.slidingWindow)
        XCTAssertEqual(ParameterLayout(configuration: qwen).entry(.keyBias, layer: 1)?.shape, [16])
        let mistral = try decode(with(["model_type": "mistral"]))
        XCTAssertEqual(mistral.keyValueHeads, 8)
        XCTAssertEqual(mistral.slidingWindow, 4096)
    }

    func testSmolLMConfigDecodes() throws {
        // SmolLM-135M's config.json (abridged): a llama with tied embeddings and GQA.
        let c = try decode([
            "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 49152, "hidden_size": 576,
            "intermediate_size": 1536, "num_hidden_layers": 30, "num_attention_heads": 9, "num_key_value_heads": 3,
            "max_position_embeddings": 2048, "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "rope_scaling": NSNull(),
            "tie_word_embeddings": true, "bos_token_id": 0, "eos_token_id": 0, "torch_dtype": "bfloat16", "hidden_act": "silu",
            "attention_bias": false, "mlp_bias": false, "pretraining_tp": 1,
        ])
        XCTAssertNoThrow(try c.validate())
        XCTAssertEqual(c.headDimension, 64)
        XCTAssertEqual(c.eosTokenIDs, [0])
        XCTAssertEqual(ParameterLayout(configuration: c).totalCount, 134_515_008)
    }

    func testEncodeDecodeRoundTrip() throws {
        var c = try decode(with(["model_type": "qwen2", "num_key_value_heads": 2, "tie_word_embeddings": true, "rope_theta": 1e6]))
        c.ropeScaling = .init(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalMaxPositionEmbeddings: 32)
        let again = try LlamaConfiguration.decode(c.jsonData(), file: "x")
        XCTAssertEqual(again, c)
    }

    func testUnsupportedModelTypeIsRejected() throws {
        let c = try decode(with(["model_type": "gpt2"]))
        XCTAssertThrowsError(try c.validate()) { error in
            XCTAssertEqual(error as? ModelError, .invalidConfiguration(key: "model_type", value: "gpt2",
                reason: "unsupported architecture; supported: llama, mistral, qwen2 (SmolLM models are llama)"))
            XCTAssertTrue("\(error)".contains("model_type = gpt2"))
        }
    }

    func testInconsistentSizesAreRejected() throws {
        let cases: [([String: Any], String)] = [
            (["hidden_size": 30], "hidden_size = 30"),
            (["num_key_value_heads": 3], "num_key_value_heads = 3"),
            (["vocab_size": 0], "vocab_size = 0"),
            (["head_dim": 7], "head_dim = 7"),
            (["hidden_act": "gelu"], "hidden_act = gelu"),
            (["attention_bias": true], "attention_bias = true"),
        ]
        for (change, expected) in cases {
            let c = try decode(with(change))
            XCTAssertThrowsError(try c.validate(), "\(change)") { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error) should name \(expected)")
            }
        }
        XCTAssertThrowsError(try LlamaModel(configuration: try decode(with(["hidden_size": 30]))))
    }

    func testUnsupportedRopeTypeIsRejected() {
        XCTAssertThrowsError(try decode(with(["rope_parameters": ["rope_type": "yarn", "factor": 4.0]]))) { error in
            XCTAssertTrue("\(error)".contains("rope_parameters.rope_type = yarn"), "\(error)")
        }
        XCTAssertThrowsError(try decode(with(["rope_scaling": ["rope_type": "llama3", "factor": 4.0]]))) { error in
            XCTAssertTrue("\(error)".contains("low_freq_factor"), "\(error)")
        }
    }

    func testMalformedJSONNamesFileAndKey() {
        XCTAssertThrowsError(try LlamaConfiguration.decode(Data("{\"vocab_size\": 3,".utf8), file: "/m/config.json")) { error in
            guard case .malformedConfiguration(let file, _)? = error as? ModelError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, "/m/config.json")
        }
        XCTAssertThrowsError(try decode(with(["hidden_size": "big"]))) { error in
            XCTAssertTrue("\(error)".contains("key hidden_size"), "\(error)")
            XCTAssertTrue("\(error)".contains("/tmp/x/config.json"), "\(error)")
        }
        XCTAssertThrowsError(try LlamaConfiguration.decode(Data("[1, 2]".utf8), file: "/m/config.json"))
    }
}
