import Foundation
import XCTest
import IRPOFormats
@testable import IRPOModel

/// GGUF model files that must be rejected with an error naming the key or tensor at fault.
final class GGUFModelBadInputTests: XCTestCase {
    /// Writes a copy of the tiny llama fixture with metadata and tensors changed by the closures.
    func variant(_ name: String,
                 metadata change: (inout [(key: String, value: GGUFValue)]) -> Void = { _ in },
                 tensors filter: (inout [(name: String, dimensions: [Int], values: [Float])]) -> Void = { _ in }) throws -> URL {
        let source = try GGUFFile(contentsOf: try GGUFModelTests.ggufFixture("llama-tied-gqa"))
        var metadata = source.metadataKeys.compactMap { key in source[key].map { (key: key, value: $0) } }
        change(&metadata)
        var tensors = try source.tensors.map { (name: $0.name, dimensions: $0.dimensions, values: try source.floats($0.name)) }
        filter(&tensors)
        let buffers = tensors.map { tensor -> UnsafeMutableBufferPointer<Float> in
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(1, tensor.values.count))
            _ = buffer.initialize(from: tensor.values)
            return buffer
        }
        defer { buffers.forEach { $0.deallocate() } }
        let descriptors = tensors.indices.map {
            GGUFWriter.Tensor(name: tensors[$0].name, dimensions: tensors[$0].dimensions,
                              values: UnsafeBufferPointer(rebasing: buffers[$0][0..<tensors[$0].values.count]))
        }
        let url = try TestSupport.temporaryFolder(self).appendingPathComponent(name + ".gguf")
        try GGUFWriter.write(metadata: metadata, tensors: descriptors, to: url)
        return url
    }

    /// Asserts loading `url` throws an error whose text contains every one of `fragments`.
    func assertLoadFails(_ url: URL, mentioning fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try LlamaModel(ggufFile: url), file: file, line: line) { error in
            let text = "\(error)"
            for fragment in fragments {
                XCTAssertTrue(text.contains(fragment), "error should mention '\(fragment)': \(text)", file: file, line: line)
            }
        }
    }

    func testUnmodifiedVariantLoads() throws {
        // Guards the helper: without changes the copy loads, so the failures below come from the change.
        XCTAssertEqual(try LlamaModel(ggufFile: try variant("same")).configuration.layerCount, 2)
    }

    func testUnsupportedArchitecture() throws {
        let url = try variant("gptneox") { metadata in
            metadata = metadata.map { $0.key == "general.architecture" ? (key: $0.key, value: .string("gptneox")) : $0 }
        }
        assertLoadFails(url, mentioning: ["general.architecture", "gptneox", "llama, qwen2"])
    }

    func testMissingArchitecture() throws {
        let url = try variant("noarch") { metadata in metadata.removeAll { $0.key == "general.architecture" } }
        assertLoadFails(url, mentioning: ["general.architecture"])
    }

    func testMissingRequiredKey() throws {
        let url = try variant("noblocks") { metadata in metadata.removeAll { $0.key == "llama.block_count" } }
        assertLoadFails(url, mentioning: ["llama.block_count", "missing"])
    }

    func testMistypedKey() throws {
        let url = try variant("stringheads") { metadata in
            metadata = metadata.map { $0.key == "llama.attention.head_count" ? (key: $0.key, value: .string("4")) : $0 }
        }
        assertLoadFails(url, mentioning: ["llama.attention.head_count", "STRING"])
    }

    func testMissingTensor() throws {
        let url = try variant("noffnup", tensors: { tensors in tensors.removeAll { $0.name == "blk.1.ffn_up.weight" } })
        assertLoadFails(url, mentioning: ["blk.1.ffn_up.weight"])
    }

    func testVocabularySizeDisagreesWithEmbedding() throws {
        let url = try variant("vocab") { metadata in
            metadata = metadata.map { $0.key == "llama.vocab_size" ? (key: $0.key, value: .uint32(96)) : $0 }
        }
        assertLoadFails(url, mentioning: ["llama.vocab_size", "96", "token_embd.weight", "97"])
    }

    func testEmbeddingLengthDisagreesWithTensors() throws {
        let url = try variant("width") { metadata in
            metadata = metadata.map { $0.key == "llama.embedding_length" ? (key: $0.key, value: .uint32(16)) : $0 }
            // Without this the head dimension (16 / 4 heads) contradicts the rotary dimension first.
            metadata.removeAll { $0.key == "llama.rope.dimension_count" }
        }
        assertLoadFails(url, mentioning: ["llama.embedding_length", "token_embd.weight"])
    }

    func testTensorShapeDisagreesWithMetadata() throws {
        let url = try variant("ffn") { metadata in
            metadata = metadata.map { $0.key == "llama.feed_forward_length" ? (key: $0.key, value: .uint32(40)) : $0 }
        }
        assertLoadFails(url, mentioning: ["blk.0.", "[40, 32]"])
    }

    func testHeadCountThatDoesNotDivideTheWidth() throws {
        let url = try variant("heads") { metadata in
            metadata = metadata.map { $0.key == "llama.attention.head_count_kv" ? (key: $0.key, value: .uint32(3)) : $0 }
        }
        assertLoadFails(url, mentioning: ["num_key_value_heads", "3"])
    }

    func testUnsupportedRopeScaling() throws {
        let url = try variant("yarn") { metadata in
            metadata.append((key: "llama.rope.scaling.type", value: .string("yarn")))
            metadata.append((key: "llama.rope.scaling.factor", value: .float32(4)))
        }
        assertLoadFails(url, mentioning: ["llama.rope.scaling.type", "yarn"])
    }

    func testRopeFrequenciesThatAreNotLlama3() throws {
        let url = try variant("ropefreqs", tensors: { tensors in
            tensors.append((name: "rope_freqs.weight", dimensions: [4], values: [1, 3, 1, 2]))
        })
        assertLoadFails(url, mentioning: ["rope_freqs.weight", "llama3"])
    }

    func testNotAGGUFFile() throws {
        let url = try TestSupport.temporaryFolder(self).appendingPathComponent("text.gguf")
        try Data("hello, this is not a model".utf8).write(to: url)
        XCTAssertThrowsError(try LlamaModel.load(path: url.path)) { error in
            XCTAssertTrue("\(error)".contains(url.path), "\(error)")
        }
    }
}
