import Foundation
import XCTest
import IRPOFormats
@testable import IRPOModel

/// GGUF models: loading llama.cpp-encoded fixtures, export round trips, bad input.
final class GGUFModelTests: XCTestCase {
    /// Fixture GGUFs written by scripts/make_gguf_model_fixtures.py from the HF folders of the same name.
    static let fixtureCases = ["llama-tied-gqa", "qwen2-bias", "llama3-rope-scaling"]

    static func ggufFixture(_ name: String) throws -> URL {
        let fixtures = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil), "Fixtures folder missing from the test bundle")
        return fixtures.appendingPathComponent("gguf").appendingPathComponent(name + ".gguf")
    }

    /// Asserts both models have the same layout and bit-identical parameters.
    func assertIdenticalWeights(_ a: LlamaModel, _ b: LlamaModel, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.layout, b.layout, message, file: file, line: line)
        guard a.layout == b.layout else { return }
        for entry in a.layout.entries {
            let x = a.parameters.view(entry.kind, layer: entry.layer), y = b.parameters.view(entry.kind, layer: entry.layer)
            let mismatches = zip(x, y).filter { $0.bitPattern != $1.bitPattern }.count
            XCTAssertEqual(mismatches, 0, "\(message): \(entry.huggingFaceName) differs in \(mismatches) of \(x.count) values", file: file, line: line)
        }
    }

    /// Same architecture fields (dtype and token ids aside).
    func assertSameArchitecture(_ a: LlamaConfiguration, _ b: LlamaConfiguration, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.modelType, b.modelType, message, file: file, line: line)
        XCTAssertEqual([a.vocabularySize, a.hiddenSize, a.intermediateSize, a.layerCount, a.attentionHeads, a.keyValueHeads, a.headDimension, a.maxPositionEmbeddings],
                       [b.vocabularySize, b.hiddenSize, b.intermediateSize, b.layerCount, b.attentionHeads, b.keyValueHeads, b.headDimension, b.maxPositionEmbeddings],
                       message, file: file, line: line)
        XCTAssertEqual(Float(a.rmsNormEpsilon), Float(b.rmsNormEpsilon), message, file: file, line: line)
        XCTAssertEqual(Float(a.ropeTheta), Float(b.ropeTheta), message, file: file, line: line)
        XCTAssertEqual(a.ropeScaling, b.ropeScaling, message, file: file, line: line)
        XCTAssertEqual(a.tieWordEmbeddings, b.tieWordEmbeddings, message, file: file, line: line)
        XCTAssertEqual(a.attentionBias, b.attentionBias, message, file: file, line: line)
    }

    // MARK: Loading llama.cpp-style files

    func testFixturesLoadWithTheWeightsOfTheirHuggingFaceFolders() throws {
        let models = try TestSupport.modelFixtures()
        for name in Self.fixtureCases {
            let fromGGUF = try LlamaModel(ggufFile: try Self.ggufFixture(name))
            let fromFolder = try LlamaModel(huggingFaceFolder: models.appendingPathComponent(name))
            assertSameArchitecture(fromGGUF.configuration, fromFolder.configuration, name)
            assertIdenticalWeights(fromGGUF, fromFolder, name)
        }
    }

    func testFixtureLogitsMatchTheHuggingFaceFolder() throws {
        // Same weights must give the same logits, including the llama3 rotary scaling recovered from rope_freqs.
        let name = "llama3-rope-scaling"
        let fromGGUF = try LlamaModel(ggufFile: try Self.ggufFixture(name))
        let fromFolder = try LlamaModel(huggingFaceFolder: try TestSupport.modelFixtures().appendingPathComponent(name))
        let scaling = try XCTUnwrap(fromGGUF.configuration.ropeScaling)
        XCTAssertEqual(scaling.originalMaxPositionEmbeddings, 32)
        XCTAssertEqual(scaling.factor, 8)
        let sequences: [[Int32]] = [[1, 5, 9, 33, 60, 2, 7, 7, 90, 11], [3, 4]]
        XCTAssertEqual(try fromGGUF.logits(sequences), try fromFolder.logits(sequences))
    }

    func testTiedOutputWhenOutputWeightIsAbsent() throws {
        let tied = try LlamaModel(ggufFile: try Self.ggufFixture("llama-tied-gqa"))
        XCTAssertTrue(tied.configuration.tieWordEmbeddings)
        XCTAssertEqual(tied.configuration.bosTokenID, 1)
        XCTAssertEqual(tied.configuration.eosTokenIDs, [2])
        let untied = try LlamaModel(ggufFile: try Self.ggufFixture("qwen2-bias"))
        XCTAssertFalse(untied.configuration.tieWordEmbeddings)
        XCTAssertTrue(untied.configuration.attentionBias)
    }

    func testRotaryReorderMatchesLlamaCppRowOrder() {
        // One head, head_dim 4, one column: HF rows (0, 1 | 2, 3) pair 0 with 2 and 1 with 3;
        // llama.cpp stores each pair adjacently: (0, 2, 1, 3).
        var values: [Float] = [0, 1, 2, 3]
        values.withUnsafeMutableBufferPointer { GGUFTensorNames.reorderRotaryRows($0, heads: 1, columns: 1, toGGUF: true) }
        XCTAssertEqual(values, [0, 2, 1, 3])
        // Two heads of head_dim 4, two columns: the reorder stays within each head and moves whole rows.
        let original: [Float] = (0..<16).map(Float.init)
        var matrix = original
        matrix.withUnsafeMutableBufferPointer { GGUFTensorNames.reorderRotaryRows($0, heads: 2, columns: 2, toGGUF: true) }
        XCTAssertEqual(matrix, [0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15])
        matrix.withUnsafeMutableBufferPointer { GGUFTensorNames.reorderRotaryRows($0, heads: 2, columns: 2, toGGUF: false) }
        XCTAssertEqual(matrix, original)
    }

    // MARK: Round trips

    func testRandomModelsRoundTripThroughGGUFF32() throws {
        let folder = try TestSupport.temporaryFolder(self)
        var configurations = [
            TestSupport.tinyConfiguration(),
            TestSupport.tinyConfiguration(tied: true, kvHeads: 1),
            TestSupport.tinyConfiguration(modelType: "qwen2"),
        ]
        var scaled = TestSupport.tinyConfiguration()
        scaled.ropeTheta = 100
        scaled.ropeScaling = .init(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalMaxPositionEmbeddings: 32)
        configurations.append(scaled)
        for (index, configuration) in configurations.enumerated() {
            let model = try LlamaModel(configuration: configuration, seed: UInt64(40 + index))
            let url = folder.appendingPathComponent("model\(index).gguf")
            try model.saveGGUF(to: url)
            let loaded = try LlamaModel(ggufFile: url)
            assertSameArchitecture(loaded.configuration, configuration, "case \(index)")
            assertIdenticalWeights(loaded, model, "case \(index)")
            // The stored Q rows are in llama.cpp order for llama and unchanged for qwen2.
            let file = try GGUFFile(contentsOf: url)
            let storedQuery = try file.floats("blk.0.attn_q.weight")
            let query = Array(model.parameters.view(.queryWeight, layer: 0))
            if configuration.modelType == "llama" {
                XCTAssertNotEqual(storedQuery, query, "case \(index): llama Q rows must be interleaved in the file")
            } else {
                XCTAssertEqual(storedQuery, query, "case \(index): qwen2 Q rows are stored as they are")
            }
            XCTAssertEqual(file.tensor(named: "output.weight") == nil, configuration.tieWordEmbeddings, "case \(index)")
            XCTAssertEqual(file.tensor(named: GGUFTensorNames.ropeFrequencies) != nil, configuration.ropeScaling != nil, "case \(index)")
        }
    }

    func testF16ExportRoundsMatricesAndKeepsNormsExact() throws {
        let folder = try TestSupport.temporaryFolder(self)
        let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(), seed: 7)
        // Make a norm weight that F16 cannot hold exactly.
        model.parameters.view(.finalNorm)[0] = 1.0001
        let url = folder.appendingPathComponent("model.gguf")
        try model.saveGGUF(to: url, type: .f16)
        let file = try GGUFFile(contentsOf: url)
        XCTAssertEqual(file.tensor(named: "blk.0.ffn_up.weight")?.type, .f16)
        XCTAssertEqual(file.tensor(named: "output_norm.weight")?.type, .f32)
        XCTAssertEqual(file["general.file_type"], .uint32(1))
        let loaded = try LlamaModel(ggufFile: url)
        for entry in model.layout.entries {
            let original = model.parameters.view(entry.kind, layer: entry.layer)
            let expected = entry.shape.count == 1 ? Array(original) : original.map { Float(Float16($0)) }
            XCTAssertEqual(Array(loaded.parameters.view(entry.kind, layer: entry.layer)), expected, entry.huggingFaceName)
        }
    }

    func testGGUFToHuggingFaceFolderRoundTrip() throws {
        let folder = try TestSupport.temporaryFolder(self)
        for name in Self.fixtureCases {
            let fromGGUF = try LlamaModel(ggufFile: try Self.ggufFixture(name))
            let output = folder.appendingPathComponent(name)
            try fromGGUF.save(to: output)
            let reloaded = try LlamaModel(huggingFaceFolder: output)
            assertSameArchitecture(reloaded.configuration, fromGGUF.configuration, name)
            assertIdenticalWeights(reloaded, fromGGUF, name)
        }
    }

    func testTokenizerMetadataIsCopiedOnExport() throws {
        let source = try GGUFFile(contentsOf: try Self.ggufFixture("llama-tied-gqa"))
        let tokenizer = LlamaModel.ggufTokenizerMetadata(of: source)
        XCTAssertEqual(tokenizer.map(\.key).first, "tokenizer.ggml.model")
        XCTAssertTrue(tokenizer.contains { $0.key == "tokenizer.chat_template" })
        let url = try TestSupport.temporaryFolder(self).appendingPathComponent("copy.gguf")
        try LlamaModel(gguf: source).saveGGUF(to: url, extraMetadata: tokenizer)
        let copy = try GGUFFile(contentsOf: url)
        for (key, value) in tokenizer { XCTAssertEqual(copy[key], value, key) }
        XCTAssertThrowsError(try LlamaModel(gguf: source).saveGGUF(to: url, extraMetadata: [("llama.block_count", .uint32(9))])) { error in
            XCTAssertTrue("\(error)".contains("llama.block_count"), "\(error)")
        }
    }

    func testLoadPathDispatchesOnGGUFAndFolders() throws {
        let gguf = try Self.ggufFixture("qwen2-bias")
        XCTAssertTrue(LlamaModel.isGGUFPath(gguf.path))
        XCTAssertEqual(try LlamaModel.load(path: gguf.path).configuration.modelType, "qwen2")
        let folder = try TestSupport.modelFixtures().appendingPathComponent("qwen2-bias")
        XCTAssertFalse(LlamaModel.isGGUFPath(folder.path))
        XCTAssertEqual(try LlamaModel.load(path: folder.path).configuration.modelType, "qwen2")
        // A GGUF without the extension is recognised by its magic.
        let renamed = try TestSupport.temporaryFolder(self).appendingPathComponent("weights.bin")
        try FileManager.default.copyItem(at: gguf, to: renamed)
        XCTAssertTrue(LlamaModel.isGGUFPath(renamed.path))
        XCTAssertEqual(try LlamaModel.load(path: renamed.path).parameterCount, try LlamaModel.load(path: gguf.path).parameterCount)
    }
}
