import XCTest
@testable import IRPOModel
import IRPOFormats
import IRPOTensor

/// Decoding from Q8_0 decode weights (`DecodeWeights(model:format: .q8_0)`, what
/// `sampling.weights: q8_0` uses) must give exactly the logits of the f32 path on a model whose
/// linear weights and LM head are Q8_0-quantised and dequantised by the GGUF reader: the
/// quantisation is ggml's, and nothing else changes.
final class Q8DecodeWeightsTests: XCTestCase {
    /// Replaces `count` floats at `pointer` with their Q8_0 round trip.
    func roundTrip(_ pointer: UnsafeMutablePointer<Float>, rows: Int, columns: Int) throws {
        var bytes = [UInt8](repeating: 0, count: rows * columns / 32 * 34)
        try bytes.withUnsafeMutableBytes {
            try GGUFQuantizer.quantize(UnsafeBufferPointer(start: pointer, count: rows * columns), as: .q8_0, into: $0)
        }
        let matrix = try bytes.withUnsafeBytes { try QuantizedMatrix(type: .q8_0, rows: rows, columns: columns, bytes: $0) }
        matrix.dequantize(into: pointer)
    }

    func testQ8DecodeEqualsTheFloatPathOnTheQuantisedModel() throws {
        let configuration = LlamaConfiguration(vocabularySize: 80, hiddenSize: 64, intermediateSize: 96, layerCount: 2,
                                               attentionHeads: 4, keyValueHeads: 2, headDimension: 16, tieWordEmbeddings: false)
        let model = try LlamaModel(configuration: configuration, seed: 5)
        let reference = try LlamaModel(configuration: configuration, seed: 5)
        for layer in 0..<configuration.layerCount {
            for kind in DecodeWeights.layerKinds {
                let shape = kind.shape(in: configuration)
                try roundTrip(reference.parameters.pointer(kind, layer: layer), rows: shape[0], columns: shape[1])
            }
        }
        try roundTrip(reference.parameters.pointer(.lmHead), rows: configuration.vocabularySize, columns: configuration.hiddenSize)

        let q8 = DecodeWeights(model: model, format: .q8_0)
        let f32 = DecodeWeights(model: reference)
        XCTAssertEqual(q8.quantisedWeightCount, 7 * configuration.layerCount + 1)
        XCTAssertLessThan(q8.byteCount * 3, f32.byteCount, "Q8_0 panels take about a quarter of the f32 ones")
        let v = configuration.vocabularySize
        let prompts = [[Int32]([3, 9, 27, 1, 4]), [Int32]([8, 2]), [Int32]([50, 51, 52, 53, 54, 55, 56, 57, 58])]
        let q8Cache = try KVCache(configuration: configuration, slots: 3, capacity: 24)
        let f32Cache = try KVCache(configuration: configuration, slots: 3, capacity: 24)
        func decode(_ m: LlamaModel, _ weights: DecodeWeights, _ cache: KVCache, _ segments: [DecodeSegment]) throws -> [Float] {
            var logits = [Float](repeating: .nan, count: segments.count * v)
            try logits.withUnsafeMutableBufferPointer { try m.decode(segments, cache: cache, packedWeights: weights, into: $0.baseAddress!) }
            return logits
        }
        var differsFromTheFloatModel = false
        let plain = try KVCache(configuration: configuration, slots: 3, capacity: 24)
        for (slot, prompt) in prompts.enumerated() {
            let segment = [DecodeSegment(slot: slot, tokens: prompt)]
            let got = try decode(model, q8, q8Cache, segment)
            XCTAssertEqual(got.map(\.bitPattern), try decode(reference, f32, f32Cache, segment).map(\.bitPattern), "prefill of slot \(slot)")
            let original = try model.decode(segment, cache: plain)
            if got != original { differsFromTheFloatModel = true }
        }
        XCTAssertTrue(differsFromTheFloatModel, "the quantised logits should differ from the original model's")
        for step in 0..<5 {
            let segments = (0..<3).map { DecodeSegment(slot: $0, tokens: [Int32((step * 11 + $0 * 5) % v)]) }
            XCTAssertEqual(try decode(model, q8, q8Cache, segments).map(\.bitPattern),
                           try decode(reference, f32, f32Cache, segments).map(\.bitPattern), "step \(step)")
        }
    }

    /// A weight with a value that is not finite cannot be quantised: it stays f32, and the others are quantised.
    func testAWeightThatCannotBeQuantisedStaysFloat() throws {
        let configuration = LlamaConfiguration(vocabularySize: 40, hiddenSize: 32, intermediateSize: 64, layerCount: 1,
                                               attentionHeads: 2, keyValueHeads: 2, headDimension: 16, tieWordEmbeddings: false)
        let model = try LlamaModel(configuration: configuration, seed: 2)
        model.parameters.pointer(.upWeight, layer: 0)[3] = .infinity
        let packed = DecodeWeights(model: model, format: .q8_0)
        XCTAssertEqual(packed.quantisedWeightCount, 7)
        XCTAssertEqual(packed.weight(.upWeight, layer: 0).format, .f32)
        XCTAssertEqual(packed.weight(.gateWeight, layer: 0).format, .q8_0)
    }
}
