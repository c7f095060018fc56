import Foundation
import XCTest
@testable import IRPOFormats

final class SafetensorsWriterTests: XCTestCase {
    private func sampleValues(_ count: Int) -> [Float] {
        var values = [Float](repeating: 0, count: count)
        for index in 0..<count {
            let wave = Float(sin(Double(index) * 0.37))
            values[index] = wave * Float(1 + index % 7) * 3.1
        }
        values[0] = 1.00390625      // bf16 tie: rounds to even (1.0)
        values[1] = 1.01171875      // bf16 tie: rounds to even (1.015625)
        values[2] = -.infinity
        values[3] = 65520           // f16: rounds up to +inf
        values[4] = 1e-8            // f16: subnormal/zero
        return values
    }

    func testRoundTripF32IsExactAndHeaderIsAligned() throws {
        let url = try TestSupport.temporaryDirectory(self).appendingPathComponent("out.safetensors")
        let a = sampleValues(37), b: [Float] = [42]
        try a.withUnsafeBufferPointer { pa in
            try b.withUnsafeBufferPointer { pb in
                try SafetensorsWriter.write([.init(name: "layer.\"a\"", shape: [37], values: pa), .init(name: "b", shape: [], values: pb)],
                                            dtype: .f32, metadata: ["format": "pt", "quote": "x\"y\n"], to: url)
            }
        }
        let file = try SafetensorsFile(contentsOf: url)
        XCTAssertEqual(file.tensorNames, ["layer.\"a\"", "b"])
        XCTAssertEqual(file.metadata, ["format": "pt", "quote": "x\"y\n"])
        assertBitIdentical(try file.floats("layer.\"a\""), a, "a")
        XCTAssertEqual(file.info("b")?.shape, [])
        XCTAssertEqual(try file.floats("b"), [42])
        XCTAssertEqual(file.dataStart % 8, 0)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)
        XCTAssertEqual(leftovers, ["out.safetensors"], "temporary file left behind")
    }

    func testRoundTripF16AndBF16RoundToNearestEven() throws {
        let folder = try TestSupport.temporaryDirectory(self)
        let values = sampleValues(1000)
        for dtype in [SafetensorsDType.f16, .bf16] {
            let url = folder.appendingPathComponent("\(dtype.rawValue).safetensors")
            try values.withUnsafeBufferPointer { pointer in
                try SafetensorsWriter.write([.init(name: "t", shape: [10, 100], values: pointer)], dtype: dtype, metadata: [:], to: url)
            }
            let file = try SafetensorsFile(contentsOf: url)
            XCTAssertEqual(file.info("t")?.dtype, dtype)
            let expected = values.map { value -> Float in
                dtype == .f16 ? Float(Float16(value)) : Float(bitPattern: UInt32(ScalarConversion.bfloat16Bits(value)) << 16)
            }
            assertBitIdentical(try file.floats("t"), expected, dtype.rawValue)
        }
        let bf16 = try SafetensorsFile(contentsOf: folder.appendingPathComponent("BF16.safetensors")).floats("t")
        XCTAssertEqual(bf16[0], 1.0)
        XCTAssertEqual(bf16[1], 1.015625)
        let f16 = try SafetensorsFile(contentsOf: folder.appendingPathComponent("F16.safetensors")).floats("t")
        XCTAssertEqual(f16[3], .infinity)
    }

    func testLargeTensorTakesTheParallelPathIdentically() throws {
        let url = try TestSupport.temporaryDirectory(self).appendingPathComponent("large.safetensors")
        let values = sampleValues(1 << 20)
        try values.withUnsafeBufferPointer { pointer in
            try SafetensorsWriter.write([.init(name: "big", shape: [1024, 1024], values: pointer)], dtype: .bf16, metadata: [:], to: url)
        }
        let expected = values.map { Float(bitPattern: UInt32(ScalarConversion.bfloat16Bits($0)) << 16) }
        assertBitIdentical(try SafetensorsFile(contentsOf: url).floats("big"), expected, "1M bf16")
    }

    func testBFloat16RoundingMatchesReferenceCases() {
        XCTAssertEqual(ScalarConversion.bfloat16Bits(1.0), 0x3F80)
        XCTAssertEqual(ScalarConversion.bfloat16Bits(Float(bitPattern: 0x3F80_8000)), 0x3F80)  // tie, even stays
        XCTAssertEqual(ScalarConversion.bfloat16Bits(Float(bitPattern: 0x3F81_8000)), 0x3F82)  // tie, odd rounds up
        XCTAssertEqual(ScalarConversion.bfloat16Bits(Float(bitPattern: 0x3F80_8001)), 0x3F81)
        XCTAssertEqual(ScalarConversion.bfloat16Bits(.nan) & 0x7FC0, 0x7FC0)
        XCTAssertEqual(ScalarConversion.bfloat16Bits(Float(bitPattern: 0x7F7F_FFFF)), 0x7F80)   // max float rounds to inf
    }

    func testRejectsBadInput() throws {
        let url = try TestSupport.temporaryDirectory(self).appendingPathComponent("x.safetensors")
        let values: [Float] = [1, 2, 3]
        try values.withUnsafeBufferPointer { pointer in
            assertFormatError(try SafetensorsWriter.write([.init(name: "t", shape: [2], values: pointer)], dtype: .f32, metadata: [:], to: url),
                              file: url, contains: ["'t'", "shape [2]"])
            assertFormatError(try SafetensorsWriter.write([.init(name: "t", shape: [3], values: pointer)], dtype: .i32, metadata: [:], to: url),
                              file: url, contains: ["I32"])
            assertFormatError(try SafetensorsWriter.write([.init(name: "t", shape: [3], values: pointer), .init(name: "t", shape: [3], values: pointer)],
                                                          dtype: .f32, metadata: [:], to: url), file: url, contains: ["'t'", "unique"])
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
    }
}
