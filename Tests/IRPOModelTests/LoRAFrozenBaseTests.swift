import Foundation
import XCTest
import IRPOFormats
@testable import IRPOModel
import IRPOTensor

/// A GGUF base kept quantised in memory (`FrozenProjections`) against the same file loaded as
/// Float: the frozen products dequantise each group with the loader's kernels into a scratch
/// matrix laid out like the Float parameters and call the same GEMMs on it, so log-probs,
/// adapter gradients and merges are compared for exact (bit) equality, not within a tolerance.
final class LoRAFrozenBaseTests: XCTestCase {
    private let sequences: [[Int32]] = [[3, 7, 1, 19, 4, 4, 22, 90, 41], [5, 2, 11], [0, 9, 9, 14, 6, 96], [8, 8, 1, 2]]
    private var batch: TokenBatch {
        TokenBatch(sequences: sequences, scoreMasks: sequences.map { s in s.indices.map { $0 > 0 } })
    }
    private let weights: [Float] = [0.8, -1.1, 0.5, 0.3]

    private func fixture() throws -> URL { try GGUFModelTests.ggufFixture("lora-quantized-base") }

    /// Adapters with PEFT's A and a random, non-zero B.
    private func adapters(_ model: LlamaModel, targets: [LoRATarget] = LoRATarget.allCases) throws -> LoRAAdapters {
        let adapters = try LoRAAdapters(model: model.configuration, lora: LoRAConfiguration(rank: 4, alpha: 8, targets: targets), seed: 5)
        var generator = SeededGenerator(seed: 77)
        for adapter in adapters.layout.adapters {
            let b = adapters.weights.b(adapter)
            generator.fillNormal(try XCTUnwrap(b.baseAddress), count: b.count, mean: 0, std: 0.05)
        }
        return adapters
    }

    private func copy(_ adapters: LoRAAdapters, for model: LlamaModel) throws -> LoRAAdapters {
        let result = try LoRAAdapters(model: model.configuration, lora: adapters.configuration)
        result.weights.base.update(from: adapters.weights.base, count: adapters.weights.count)
        return result
    }

    func testProjectionsStayInTheirStoredTypes() throws {
        let frozen = try LlamaModel(frozenGGUFFile: try fixture())
        let full = try LlamaModel(ggufFile: try fixture())
        let projections = try XCTUnwrap(frozen.frozenProjections)
        XCTAssertEqual(projections.typeNames, ["F16", "Q4_0", "Q4_1", "Q4_K", "Q8_0"])
        XCTAssertEqual(projections.matrix(.query, layer: 0).type, .q4_K)
        XCTAssertEqual(projections.matrix(.up, layer: 1).type, .f16)
        XCTAssertEqual(projections.weightCount, full.layout.entries.filter { FrozenProjections.kinds.contains($0.kind) }.reduce(0) { $0 + $1.count })
        // Float parameters only for what is not a projection; the projections at ~0.6-2 bytes a weight.
        XCTAssertEqual(frozen.parameters.count + projections.weightCount, full.parameters.count)
        XCTAssertLessThan(projections.byteCount, projections.weightCount * 4 / 3)
        XCTAssertEqual(frozen.parameterCount, full.parameterCount)
        // Dequantised back, every weight is the full load's, bit for bit.
        let back = try frozen.dequantized()
        XCTAssertNil(back.frozenProjections)
        XCTAssertEqual(Array(back.parameters.buffer).map(\.bitPattern), Array(full.parameters.buffer).map(\.bitPattern))
        XCTAssertTrue(LlamaModel.ggufHasCompactProjections(try GGUFFile(contentsOf: try fixture())))
        XCTAssertFalse(LlamaModel.ggufHasCompactProjections(try GGUFFile(contentsOf: try GGUFModelTests.ggufFixture("llama-tied-gqa"))))
        XCTAssertNil(try LlamaModel.loadFrozenBase(path: try GGUFModelTests.ggufFixture("llama-tied-gqa").path).frozenProjections)
        XCTAssertNotNil(try LlamaModel.loadFrozenBase(path: try fixture().path).frozenProjections)
    }

    func testLogProbsEqualTheFloatLoadExactly() throws {
        let frozen = try LlamaModel(frozenGGUFFile: try fixture())
        let full = try LlamaModel(ggufFile: try fixture())
        let adapters = try self.adapters(full)
        for withAdapters in [false, true] {
            let a = withAdapters ? adapters : nil
            let b = withAdapters ? try copy(adapters, for: frozen) : nil
            for saving in [false, true] {
                let expected = try full.forward(batch, savingForBackward: saving, adapters: a)
                let actual = try frozen.forward(batch, savingForBackward: saving, adapters: b)
                XCTAssertEqual(actual.sumLogProbs.map(\.bitPattern), expected.sumLogProbs.map(\.bitPattern), "adapters \(withAdapters) saving \(saving)")
                XCTAssertEqual(actual.tokenLogProbs.flatMap { $0 }.map(\.bitPattern), expected.tokenLogProbs.flatMap { $0 }.map(\.bitPattern))
            }
            let shardedExpected = try full.forward(batch, savingForBackward: false, shards: 2, adapters: a)
            let shardedActual = try frozen.forward(batch, savingForBackward: false, shards: 2, adapters: b)
            XCTAssertEqual(shardedActual.sumLogProbs.map(\.bitPattern), shardedExpected.sumLogProbs.map(\.bitPattern))
        }
        XCTAssertTrue(try frozen.forward(batch).sumLogProbs.allSatisfy(\.isFinite))
        XCTAssertEqual(try frozen.logits(sequences).map(\.bitPattern), try full.logits(sequences).map(\.bitPattern))
    }

    func testAdapterGradientsEqualTheFloatLoadExactly() throws {
        let frozen = try LlamaModel(frozenGGUFFile: try fixture())
        let full = try LlamaModel(ggufFile: try fixture())
        for targets in [LoRATarget.allCases, [.key, .up, .down], [.query, .value, .gate, .output]] {
            let fullAdapters = try adapters(full, targets: targets)
            let frozenAdapters = try copy(fullAdapters, for: frozen)
            let expected = LoRABuffer(layout: fullAdapters.layout), actual = LoRABuffer(layout: frozenAdapters.layout)
            full.backward(try full.forward(batch, adapters: fullAdapters), dSumLogProbs: weights, adapterGradients: expected)
            frozen.backward(try frozen.forward(batch, adapters: frozenAdapters), dSumLogProbs: weights, adapterGradients: actual)
            let e = Array(UnsafeBufferPointer(start: expected.base, count: expected.count))
            let g = Array(UnsafeBufferPointer(start: actual.base, count: actual.count))
            XCTAssertGreaterThan(e.map(abs).max() ?? 0, 0)
            XCTAssertEqual(g.map(\.bitPattern), e.map(\.bitPattern), "\(targets)")
            // Sharded too (two lanes, each with its own scratch).
            let shardedExpected = LoRABuffer(layout: fullAdapters.layout), shardedActual = LoRABuffer(layout: frozenAdapters.layout)
            full.backward(try full.forward(batch, shards: 2, adapters: fullAdapters), dSumLogProbs: weights, adapterGradients: shardedExpected)
            frozen.backward(try frozen.forward(batch, shards: 2, adapters: frozenAdapters), dSumLogProbs: weights, adapterGradients: shardedActual)
            XCTAssertEqual(Array(UnsafeBufferPointer(start: shardedActual.base, count: shardedActual.count)).map(\.bitPattern),
                           Array(UnsafeBufferPointer(start: shardedExpected.base, count: shardedExpected.count)).map(\.bitPattern))
        }
    }

    func testSavingAFrozenModelWritesItsFloatWeights() throws {
        let frozen = try LlamaModel(frozenGGUFFile: try fixture())
        let full = try LlamaModel(ggufFile: try fixture())
        let folder = try TestSupport.temporaryFolder(self)
        try frozen.save(to: folder)
        let reloaded = try LlamaModel(huggingFaceFolder: folder)
        XCTAssertEqual(Array(reloaded.parameters.buffer).map(\.bitPattern), Array(full.parameters.buffer).map(\.bitPattern))
    }

    func testAFrozenModelRefusesToDecode() throws {
        let frozen = try LlamaModel(frozenGGUFFile: try fixture())
        let cache = try KVCache(configuration: frozen.configuration, slots: 1, capacity: 8)
        XCTAssertThrowsError(try frozen.decode([DecodeSegment(slot: 0, tokens: [1, 2])], cache: cache)) { error in
            XCTAssertTrue("\(error)".contains("dequantized()"), "\(error)")
        }
    }

    /// SmolLM2-135M-Instruct's Q4_1 GGUF (skipped when not installed): the frozen base scores as
    /// the Float load does, bit for bit, with about a sixth of the projection memory.
    func testSmolLM2FrozenQ4_1BaseScoresAsTheFloatLoad() throws {
        guard let url = GGUFSmolLM2ModelTests.locate() else {
            throw XCTSkip("\(GGUFSmolLM2ModelTests.fileName) not found; \(GGUFSmolLM2ModelTests.installHint)")
        }
        let frozen = try LlamaModel(frozenGGUFFile: url)
        let projections = try XCTUnwrap(frozen.frozenProjections)
        XCTAssertTrue(projections.typeNames.contains("Q4_1"), "\(projections.typeNames)")
        XCTAssertLessThan(projections.byteCount, projections.weightCount * 4 / 5)
        let prompt: [Int32] = [1, 9690, 198, 2683, 359, 253, 5356, 5646, 11173, 3365]
        let batch = TokenBatch(sequences: [prompt, Array(prompt.prefix(6))])
        let actual = try frozen.forward(batch, savingForBackward: false).sumLogProbs
        let full = try LlamaModel(ggufFile: url)
        let expected = try full.forward(batch, savingForBackward: false).sumLogProbs
        XCTAssertEqual(actual.map(\.bitPattern), expected.map(\.bitPattern))
    }
}
