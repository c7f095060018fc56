import Foundation
import XCTest
@testable import IRPOFormats

/// Dequantised values compared bit for bit with `gguf.quants.dequantize` (scripts/make_formats_fixtures.py).
final class GGUFDequantizerTests: XCTestCase {
    func testEveryTypeMatchesGGUFPyBitForBit() throws {
        let fixtures = try TestSupport.fixtures()
        let file = try GGUFFile(contentsOf: fixtures.appendingPathComponent("gguf_quants.gguf"))
        let expected = try SafetensorsFile(contentsOf: fixtures.appendingPathComponent("gguf_quants.expected.safetensors"))
        XCTAssertEqual(Set(file.tensors.map(\.name)), Set(expected.tensorNames))
        let covered = Set(file.tensors.map(\.type))
        let required: Set<GGMLType> = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K]
        XCTAssertEqual(covered, required, "fixture must hold every supported type")
        for info in file.tensors {
            let reference = try XCTUnwrap(expected.info(info.name))
            XCTAssertEqual(reference.shape, info.rowMajorShape, info.name)
            assertBitIdentical(try file.floats(info.name), try expected.floats(info.name), "\(info.name) (\(info.type.name))")
        }
    }

    func testParallelPathMatchesBlockByBlock() throws {
        // A tensor large enough to be split across chunks must equal the per-block conversion.
        let fixtures = try TestSupport.fixtures()
        let file = try GGUFFile(contentsOf: fixtures.appendingPathComponent("gguf_quants.gguf"))
        for name in ["q4_1.random", "q6_k.random"] {
            let info = try XCTUnwrap(file.tensor(named: name))
            let layout = info.type.blockLayout
            let reference = try file.floats(name)
            let (single, repeated) = try file.withRawBytes(name) { raw -> ([Float], [Float]) in
                let base = try XCTUnwrap(raw.baseAddress)
                let blocks = info.elementCount / layout.elements
                var single = [Float](repeating: .nan, count: info.elementCount)
                try single.withUnsafeMutableBufferPointer { output in
                    let start = try XCTUnwrap(output.baseAddress)
                    for block in 0..<blocks {
                        _ = GGUFDequantizer.dequantize(info.type, source: base + block * layout.bytes, elementCount: layout.elements,
                                                       into: start + block * layout.elements)
                    }
                }
                // 400 copies of the tensor's bytes, dequantised at once through the parallel path.
                var big = [UInt8]()
                for _ in 0..<400 { big.append(contentsOf: raw) }
                var repeated = [Float](repeating: .nan, count: info.elementCount * 400)
                try big.withUnsafeBytes { bigRaw in
                    try repeated.withUnsafeMutableBufferPointer { output in
                        _ = GGUFDequantizer.dequantize(info.type, source: try XCTUnwrap(bigRaw.baseAddress), elementCount: output.count,
                                                       into: try XCTUnwrap(output.baseAddress))
                    }
                }
                return (single, repeated)
            }
            assertBitIdentical(single, reference, name)
            for copy in [0, 199, 399] {
                assertBitIdentical(Array(repeated[(copy * info.elementCount)..<((copy + 1) * info.elementCount)]), reference, "\(name) copy \(copy)")
            }
        }
    }

    func testUnsupportedTypeIsAnErrorNamingIt() throws {
        var buffer = ByteBuffer()
        buffer.append(UInt32(0x4655_4747)); buffer.append(UInt32(3)); buffer.append(UInt64(1)); buffer.append(UInt64(0))
        buffer.append(string: "weird"); buffer.append(UInt32(1)); buffer.append(UInt64(256))
        buffer.append(GGMLType.iq2_xxs.rawValue); buffer.append(UInt64(0))
        buffer.pad(to: 32)
        buffer.bytes += [UInt8](repeating: 0, count: 66)
        let url = try TestSupport.temporaryDirectory(self).appendingPathComponent("iq.gguf")
        try Data(buffer.bytes).write(to: url)
        let file = try GGUFFile(contentsOf: url)
        XCTAssertEqual(file.tensor(named: "weird")?.type, .iq2_xxs)
        assertFormatError(try file.floats("weird"), file: url, contains: ["'weird'", "IQ2_XXS", "cannot be dequantised"])
        XCTAssertFalse(GGMLType.iq2_xxs.canDequantize)
        XCTAssertTrue(GGMLType.q6_K.canDequantize)
    }
}
