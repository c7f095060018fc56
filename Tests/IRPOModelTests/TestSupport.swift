import Foundation
import XCTest
import IRPOFormats
@testable import IRPOModel
import IRPOTensor

/// Shared helpers for the model tests.
enum TestSupport {
    /// The bundled `Fixtures/models` folder.
    static func modelFixtures() throws -> URL {
        let fixtures = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil), "Fixtures folder missing from the test bundle")
        return fixtures.appendingPathComponent("models")
    }

    /// The fixture case names (sub-folders with a config.json).
    static func fixtureCases() throws -> [String] {
        let root = try modelFixtures()
        let names = try FileManager.default.contentsOfDirectory(atPath: root.path)
        return names.filter { FileManager.default.fileExists(atPath: root.appendingPathComponent($0).appendingPathComponent("config.json").path) }.sorted()
    }

    /// A fresh temporary folder, removed at the end of the test.
    static func temporaryFolder(_ testCase: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("irpo-model-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        testCase.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// A tiny configuration for synthetic tests.
    static func tinyConfiguration(modelType: String = "llama", tied: Bool = false, kvHeads: Int = 2) -> LlamaConfiguration {
        LlamaConfiguration(modelType: modelType, vocabularySize: 23, hiddenSize: 16, intermediateSize: 24, layerCount: 2,
                           attentionHeads: 4, keyValueHeads: kvHeads, maxPositionEmbeddings: 64, tieWordEmbeddings: tied,
                           initializerRange: 0.2)
    }

    /// Writes an HF-style folder with `configJSON` and F32 `tensors` (name, shape, values).
    static func writeFolder(_ folder: URL, configJSON: [String: Any], tensors: [(name: String, shape: [Int], values: [Float])]) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let data = try JSONSerialization.data(withJSONObject: configJSON, options: [.sortedKeys])
        try data.write(to: folder.appendingPathComponent("config.json"))
        let buffers = tensors.map { tensor -> UnsafeMutableBufferPointer<Float> in
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: tensor.values.count)
            _ = buffer.initialize(from: tensor.values)
            return buffer
        }
        defer { buffers.forEach { $0.deallocate() } }
        let descriptors = tensors.indices.map {
            SafetensorsWriter.Tensor(name: tensors[$0].name, shape: tensors[$0].shape, values: UnsafeBufferPointer(buffers[$0]))
        }
        try SafetensorsWriter.write(descriptors, dtype: .f32, metadata: ["format": "pt"], to: folder.appendingPathComponent("model.safetensors"))
    }

    /// Rank-2 adapters (alpha 3) for `model` with PEFT's A and a random, non-zero B (normal, std
    /// 0.3, from seed 99), and a fixed dropout stream.
    static func randomAdapters(_ model: LlamaModel, dropout: Double, stream: UInt64) throws -> LoRAAdapters {
        let adapters = try LoRAAdapters(model: model.configuration, lora: LoRAConfiguration(rank: 2, alpha: 3, dropout: dropout), seed: 21)
        var generator = SeededGenerator(seed: 99)
        for adapter in adapters.layout.adapters {
            let b = adapters.weights.b(adapter)
            generator.fillNormal(try XCTUnwrap(b.baseAddress), count: b.count, mean: 0, std: 0.3)
        }
        adapters.dropoutStream = stream
        return adapters
    }
}
