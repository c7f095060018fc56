import Foundation
import XCTest
import IRPOFormats
@testable import IRPOModel
import IRPOTensor

/// llama.cpp's LoRA adapter GGUF: metadata, tensor names, shapes and values, and the rotary row
/// order of the query/key `B` matrices checked against the GGUF export of the merged model.
final class LoRALlamaCppAdapterTests: XCTestCase {
    private func adapters(_ model: LlamaModel, targets: [LoRATarget] = LoRATarget.allCases) throws -> LoRAAdapters {
        let adapters = try LoRAAdapters(model: model.configuration, lora: LoRAConfiguration(rank: 3, alpha: 5, targets: targets), seed: 4)
        var generator = SeededGenerator(seed: 8)
        for adapter in adapters.layout.adapters {
            let b = adapters.weights.b(adapter)
            generator.fillNormal(try XCTUnwrap(b.baseAddress), count: b.count, mean: 0, std: 0.2)
        }
        return adapters
    }

    func testMetadataNamesShapesAndValues() throws {
        let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(), seed: 3)
        let adapters = try self.adapters(model, targets: [.query, .value, .down])
        let url = try TestSupport.temporaryFolder(self).appendingPathComponent("adapter.gguf")
        try adapters.saveLlamaCppGGUF(to: url, name: "test adapter")
        let file = try GGUFFile(contentsOf: url)
        XCTAssertEqual(file["general.type"], .string("adapter"))
        XCTAssertEqual(file["general.architecture"], .string("llama"))
        XCTAssertEqual(file["adapter.type"], .string("lora"))
        XCTAssertEqual(file["adapter.lora.alpha"], .float32(5))
        XCTAssertEqual(file["general.name"], .string("test adapter"))
        let c = model.configuration
        XCTAssertEqual(file.tensors.count, 2 * 3 * c.layerCount)
        for adapter in adapters.layout.adapters {
            let base = GGUFTensorNames.name(of: adapter.target.baseKind, layer: adapter.layer)
            let a = try XCTUnwrap(file.tensor(named: base + ".lora_a"), base)
            let b = try XCTUnwrap(file.tensor(named: base + ".lora_b"), base)
            XCTAssertEqual(a.type, .f32)
            XCTAssertEqual(b.type, .f32)
            // ggml order: a [in, r], b [r, out] (llama.cpp checks a.ne[0] == W.ne[0], b.ne[1] == W.ne[1], a.ne[1] == b.ne[0]).
            XCTAssertEqual(a.dimensions, [adapter.inputWidth, 3])
            XCTAssertEqual(b.dimensions, [3, adapter.outputWidth])
            XCTAssertEqual(try file.floats(base + ".lora_a"), Array(adapters.weights.a(adapter)))
            var expectedB = Array(adapters.weights.b(adapter))
            if adapter.target == .query {
                expectedB.withUnsafeMutableBufferPointer {
                    GGUFTensorNames.reorderRotaryRows($0, heads: c.attentionHeads, columns: 3, toGGUF: true)
                }
                XCTAssertNotEqual(expectedB, Array(adapters.weights.b(adapter)))
            }
            XCTAssertEqual(try file.floats(base + ".lora_b"), expectedB, base)
        }
        XCTAssertNil(file.tensor(named: "blk.0.attn_k.weight.lora_a"))
    }

    /// W' + (alpha / r) B' A from the base's GGUF export and the adapter file equals the GGUF
    /// export of the merged model, for every projection (so the query/key rows line up).
    func testAdapterAppliedToTheBaseGGUFGivesTheMergedGGUF() throws {
        for modelType in ["llama", "qwen2"] {
            let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(modelType: modelType), seed: 3)
            let adapters = try self.adapters(model)
            let folder = try TestSupport.temporaryFolder(self)
            try model.saveGGUF(to: folder.appendingPathComponent("base.gguf"))
            let merged = try LlamaModel(configuration: model.configuration)
            merged.parameters.assign(from: model.parameters)
            adapters.merge(into: merged.parameters)
            try merged.saveGGUF(to: folder.appendingPathComponent("merged.gguf"))
            try adapters.saveLlamaCppGGUF(to: folder.appendingPathComponent("adapter.gguf"))
            let base = try GGUFFile(contentsOf: folder.appendingPathComponent("base.gguf"))
            let expected = try GGUFFile(contentsOf: folder.appendingPathComponent("merged.gguf"))
            let adapterFile = try GGUFFile(contentsOf: folder.appendingPathComponent("adapter.gguf"))
            XCTAssertEqual(adapterFile["general.architecture"], base["general.architecture"])
            for adapter in adapters.layout.adapters {
                let name = GGUFTensorNames.name(of: adapter.target.baseKind, layer: adapter.layer)
                let w = try base.floats(name), a = try adapterFile.floats(name + ".lora_a"), b = try adapterFile.floats(name + ".lora_b")
                let target = try expected.floats(name)
                let out = adapter.outputWidth, input = adapter.inputWidth, r = 3
                for row in 0..<out {
                    for column in 0..<input {
                        var sum: Float = 0
                        for k in 0..<r { sum += b[row * r + k] * a[k * input + column] }
                        let value = w[row * input + column] + adapters.scale * sum
                        XCTAssertEqual(value, target[row * input + column], accuracy: 1e-5, "\(modelType) \(name)[\(row), \(column)]")
                    }
                }
            }
        }
    }
}
