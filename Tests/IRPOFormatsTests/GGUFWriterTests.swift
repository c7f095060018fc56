import Foundation
import XCTest
@testable import IRPOFormats

final class GGUFWriterTests: XCTestCase {
    private let metadata: [(key: String, value: GGUFValue)] = [
        ("general.architecture", .string("llama")),
        ("general.alignment", .uint32(64)),
        ("a.u8", .uint8(255)), ("a.i8", .int8(-128)), ("a.u16", .uint16(65535)), ("a.i16", .int16(-32768)),
        ("a.u32", .uint32(.max)), ("a.i32", .int32(.min)), ("a.f32", .float32(-0.0)), ("a.bool", .bool(false)),
        ("a.string", .string("ünïcode ✓ \u{0}")), ("a.u64", .uint64(.max)), ("a.i64", .int64(.min)), ("a.f64", .float64(.pi)),
        ("a.array.empty", .array([])),
        ("a.array.strings", .array([.string("<s>"), .string(""), .string("Ġthe")])),
        ("a.array.nested", .array([.array([.float32(1), .float32(2)]), .array([])])),
    ]

    func testRoundTripMetadataAndTensors() throws {
        let url = try TestSupport.temporaryDirectory(self).appendingPathComponent("out.gguf")
        let weights: [Float] = (0..<96).map { Float($0) * 0.37 - 9 }
        let norm: [Float] = [1, 0.5, 65520, 1e-8, -2, 3, 4]
        try weights.withUnsafeBufferPointer { w in
            try norm.withUnsafeBufferPointer { n in
                try GGUFWriter.write(metadata: metadata, tensors: [
                    .init(name: "blk.0.attn_q.weight", dimensions: [32, 3], type: .f32, values: w),
                    .init(name: "output_norm.weight", dimensions: [7], type: .f16, values: n),
                    .init(name: "blk.0.ffn.weight", dimensions: [4, 2, 3, 4], type: .f16, values: UnsafeBufferPointer(rebasing: w[0..<96])),
                ], to: url)
            }
        }
        let file = try GGUFFile(contentsOf: url)
        XCTAssertEqual(file.version, 3)
        XCTAssertEqual(file.alignment, 64)
        XCTAssertEqual(file.metadataKeys, metadata.map(\.key))
        for (key, value) in metadata { XCTAssertEqual(file.metadata[key], value, key) }
        XCTAssertEqual(file.tensors.map(\.name), ["blk.0.attn_q.weight", "output_norm.weight", "blk.0.ffn.weight"])
        XCTAssertTrue(file.tensors.allSatisfy { $0.offset % 64 == 0 })
        XCTAssertEqual(file.dataOffset % 64, 0)
        XCTAssertEqual(file.tensor(named: "blk.0.ffn.weight")?.dimensions, [4, 2, 3, 4])
        assertBitIdentical(try file.floats("blk.0.attn_q.weight"), weights, "f32")
        assertBitIdentical(try file.floats("output_norm.weight"), norm.map { Float(Float16($0)) }, "f16")
        assertBitIdentical(try file.floats("blk.0.ffn.weight"), weights.map { Float(Float16($0)) }, "f16 4d")
        XCTAssertEqual(try file.floats("output_norm.weight")[2], .infinity)
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber).intValue
        XCTAssertEqual(size % 64, 0, "file padded to the alignment")
    }

    func testRejectsBadInputWithoutWritingAFile() throws {
        let url = try TestSupport.temporaryDirectory(self).appendingPathComponent("bad.gguf")
        let values: [Float] = [1, 2, 3, 4]
        try values.withUnsafeBufferPointer { pointer in
            assertFormatError(try GGUFWriter.write(metadata: [], tensors: [.init(name: "t", dimensions: [3], values: pointer)], to: url),
                              file: url, contains: ["'t'", "dimensions [3]"])
            assertFormatError(try GGUFWriter.write(metadata: [], tensors: [.init(name: "t", dimensions: [4], type: .q4_0, values: pointer)], to: url),
                              file: url, contains: ["'t'", "Q4_0"])
            assertFormatError(try GGUFWriter.write(metadata: [("k", .array([.int32(1), .string("x")]))], tensors: [], to: url),
                              file: url, contains: ["'k'", "mixing value types"])
            assertFormatError(try GGUFWriter.write(metadata: [("general.alignment", .uint32(3))], tensors: [], to: url),
                              file: url, contains: ["general.alignment"])
            assertFormatError(try GGUFWriter.write(metadata: [("k", .bool(true)), ("k", .bool(false))], tensors: [], to: url),
                              file: url, contains: ["'k' given twice"])
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
    }
}
