import Foundation
import IRPOFuzzSupport
import XCTest
@testable import IRPOFormats

/// Randomly corrupted and truncated copies of a valid GGUF must throw a `FormatError` or parse; never crash.
final class GGUFFuzzTests: XCTestCase {
    /// Applies one of four kinds of corruption to a copy of `original`.
    private func corrupt(_ original: [UInt8], headerEnd: Int, kind: Int, using generator: inout FuzzRandom) -> [UInt8] {
        let interesting: [UInt64] = [0, 1, 2, 3, 0x7F, 0xFF, 0xFFFF, 0xFFFF_FFFF, 1 << 31, 1 << 62, .max, .max - 7]
        var bytes = original
        switch kind {
        case 0:  // change random bytes in the header
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                bytes[Int.random(in: 0..<headerEnd, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
        case 1:  // truncate anywhere
            bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator)))
        case 2:  // overwrite an 8-byte field with an interesting value
            let position = Int.random(in: 0..<(headerEnd - 8), using: &generator)
            let value = interesting[Int.random(in: 0..<interesting.count, using: &generator)]
            withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(position..<(position + 8), with: $0) }
        default:  // overwrite a 4-byte field
            let position = Int.random(in: 0..<(headerEnd - 4), using: &generator)
            let value = UInt32(truncatingIfNeeded: interesting[Int.random(in: 0..<interesting.count, using: &generator)])
            withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(position..<(position + 4), with: $0) }
        }
        return bytes
    }

    func testCorruptedHeadersThrowOrParseNeverCrash() throws {
        let fixture = try TestSupport.fixtures().appendingPathComponent("gguf_metadata.gguf")
        let original = [UInt8](try Data(contentsOf: fixture))
        let headerEnd = try GGUFFile(contentsOf: fixture).dataOffset
        let url = try TestSupport.temporaryDirectory(self).appendingPathComponent("fuzz.gguf")
        // IRPO_GGUF_FUZZ_CASES and IRPO_GGUF_FUZZ_SEED run more or other cases.
        let campaign = FuzzCampaign(name: "GGUF", defaultCases: 4000, defaultSeed: 0x5EED_1234)
        var dequantised = 0
        let report = campaign.run { iteration, generator in
            let bytes = corrupt(original, headerEnd: headerEnd, kind: iteration % 4, using: &generator)
            do {
                // The parser works on the bytes in memory, exactly as on a mapped file.
                let parsed = try bytes.withUnsafeBytes { try GGUFHeaderParser.parse($0, url: url) }
                try bytes.withUnsafeBytes { raw in
                    let base = try XCTUnwrap(raw.baseAddress)
                    for info in parsed.tensors where info.type.canDequantize {
                        // The validated table guarantees these bytes lie inside the buffer.
                        XCTAssertLessThanOrEqual(parsed.dataStart + info.offset + info.byteCount, raw.count)
                        var output = [Float](repeating: 0, count: info.elementCount)
                        output.withUnsafeMutableBufferPointer { buffer in
                            if let destination = buffer.baseAddress {
                                _ = GGUFDequantizer.dequantize(info.type, source: base + parsed.dataStart + info.offset,
                                                               elementCount: info.elementCount, into: destination)
                            }
                        }
                        dequantised += 1
                    }
                }
                if iteration % 100 == 1 {  // now and then through the mapped-file path as well
                    try Data(bytes).write(to: url)
                    let file = try GGUFFile(contentsOf: url)
                    XCTAssertEqual(file.tensors, parsed.tensors)
                }
                return .accepted
            } catch is FormatError {
                return .rejected
            } catch {
                XCTFail("iteration \(iteration): non-FormatError \(error)")
                return .rejected
            }
        }
        print(report.summary)
        XCTAssertEqual(campaign.violations(report), [])
        XCTAssertGreaterThan(report.rejected, campaign.cases / 2, "corruptions should mostly be detected")
        XCTAssertGreaterThan(dequantised, 100, "harmless corruptions (string bytes, values) must still parse and dequantise")
    }
}
