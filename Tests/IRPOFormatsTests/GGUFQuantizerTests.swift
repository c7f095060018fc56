import Foundation
import XCTest
@testable import IRPOFormats

/// Q8_0 and Q4_0 quantisation against the bytes of the `gguf` Python package
/// (`scripts/make_quant_fixtures.py` writes the fixture).
final class GGUFQuantizerTests: XCTestCase {
    private struct Case {
        let name: String
        let values: [Float]
        let bytes: [GGMLType: [UInt8]]
        let dequantized: [GGMLType: [Float]]
    }

    private func cases() throws -> [Case] {
        let root = try TestSupport.json(try TestSupport.fixtures().appendingPathComponent("quantize_reference.json"))
        let rows = try XCTUnwrap(root["cases"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(rows.count, 10)
        return try rows.map { row in
            var bytes: [GGMLType: [UInt8]] = [:], dequantized: [GGMLType: [Float]] = [:]
            for (type, key) in [(GGMLType.q8_0, "q8_0"), (.q4_0, "q4_0")] {
                bytes[type] = try Self.hex(try XCTUnwrap(row[key] as? String))
                dequantized[type] = TestSupport.floatsFromBits(row[key + "_dequantized"])
            }
            return Case(name: try XCTUnwrap(row["name"] as? String), values: TestSupport.floatsFromBits(row["values"]),
                        bytes: bytes, dequantized: dequantized)
        }
    }

    private static func hex(_ text: String) throws -> [UInt8] {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { throw QuantizationError("odd hex length") }
        return try stride(from: 0, to: digits.count, by: 2).map { index in
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else {
                throw QuantizationError("bad hex at \(index)")
            }
            return byte
        }
    }

    private func quantized(_ values: [Float], _ type: GGMLType) throws -> [UInt8] {
        var out = [UInt8](repeating: 0xAA, count: try XCTUnwrap(GGUFQuantizer.byteCount(of: values.count, as: type)))
        try values.withUnsafeBufferPointer { source in
            try out.withUnsafeMutableBytes { try GGUFQuantizer.quantize(source, as: type, into: $0) }
        }
        return out
    }

    func testBytesEqualTheGGUFPackage() throws {
        for item in try cases() {
            for type in GGUFQuantizer.supportedTypes {
                let expected = try XCTUnwrap(item.bytes[type])
                let actual = try quantized(item.values, type)
                XCTAssertEqual(actual.count, expected.count, "\(item.name) \(type.name): size")
                if let first = zip(actual, expected).enumerated().first(where: { $0.element.0 != $0.element.1 }) {
                    XCTFail("\(item.name) \(type.name): byte \(first.offset) (block \(first.offset / type.blockLayout.bytes)) is \(first.element.0), the gguf package writes \(first.element.1)")
                }
            }
        }
    }

    func testTieCasesExerciseHalfwayRounding() throws {
        // The fixture's tie cases must hold values that scale to exactly k + 0.5, or they test nothing.
        let all = try cases()
        let q8 = try XCTUnwrap(all.first { $0.name == "q8_ties" })
        XCTAssertEqual(q8.values.max(), 127)
        XCTAssertTrue(q8.values.contains(2.5) && q8.values.contains(-2.5))
        // Half away from zero: 2.5 -> 3, -2.5 -> -3 (Int8 bit patterns in the fixture).
        let bytes = try XCTUnwrap(q8.bytes[.q8_0])
        let index = try XCTUnwrap(q8.values.firstIndex(of: 2.5))
        XCTAssertEqual(Int8(bitPattern: bytes[2 + index]), 3)
        let negative = try XCTUnwrap(q8.values.firstIndex(of: -2.5))
        XCTAssertEqual(Int8(bitPattern: bytes[2 + negative]), -3)
    }

    func testWrittenTensorsReadBackAsThePackageDequantises() throws {
        let url = try TestSupport.temporaryDirectory(self).appendingPathComponent("quant.gguf")
        let all = try cases().filter { $0.values.count % 64 == 0 }
        XCTAssertFalse(all.isEmpty)
        var tensors: [GGUFWriter.Tensor] = []
        var owned: [UnsafeMutableBufferPointer<Float>] = []
        defer { owned.forEach { $0.deallocate() } }
        for item in all {
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: item.values.count)
            _ = buffer.initialize(from: item.values)
            owned.append(buffer)
            for type in GGUFQuantizer.supportedTypes {
                tensors.append(.init(name: "\(item.name).\(type.name)", dimensions: [32, item.values.count / 32], type: type,
                                     values: UnsafeBufferPointer(buffer)))
            }
        }
        try GGUFWriter.write(metadata: [("general.architecture", .string("llama"))], tensors: tensors, to: url)
        let file = try GGUFFile(contentsOf: url)
        for item in all {
            for type in GGUFQuantizer.supportedTypes {
                let name = "\(item.name).\(type.name)"
                XCTAssertEqual(file.tensor(named: name)?.type, type, name)
                assertBitIdentical(try file.floats(name), try XCTUnwrap(item.dequantized[type]), name)
                try file.withRawBytes(name) { raw in XCTAssertEqual(Array(raw), item.bytes[type], name) }
            }
        }
    }

    func testRejectsWhatCannotBeQuantised() throws {
        var out = [UInt8](repeating: 0, count: 64)
        let partial = [Float](repeating: 1, count: 31)
        let nan = [Float](repeating: 1, count: 31) + [.nan]
        try out.withUnsafeMutableBytes { raw in
            try partial.withUnsafeBufferPointer { values in
                XCTAssertThrowsError(try GGUFQuantizer.quantize(values, as: .q8_0, into: raw)) { error in
                    XCTAssertTrue("\(error)".contains("31 values"), "\(error)")
                }
            }
            try nan.withUnsafeBufferPointer { values in
                XCTAssertThrowsError(try GGUFQuantizer.quantize(values, as: .q4_0, into: raw)) { error in
                    XCTAssertTrue("\(error)".contains("value 31"), "\(error)")
                }
                XCTAssertThrowsError(try GGUFQuantizer.quantize(values, as: .q4_K, into: raw)) { error in
                    XCTAssertTrue("\(error)".contains("Q4_K"), "\(error)")
                }
                XCTAssertThrowsError(try GGUFQuantizer.quantize(values, as: .q8_0, into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<10]))) { error in
                    XCTAssertTrue("\(error)".contains("10 bytes"), "\(error)")
                }
            }
        }
        let url = try TestSupport.temporaryDirectory(self).appendingPathComponent("nan.gguf")
        let rows = [Float](repeating: 0.5, count: 63) + [.infinity]
        try rows.withUnsafeBufferPointer { values in
            assertFormatError(try GGUFWriter.write(metadata: [], tensors: [.init(name: "w", dimensions: [32, 2], type: .q8_0, values: values)], to: url),
                              file: url, contains: ["'w'", "value 63"])
            assertFormatError(try GGUFWriter.write(metadata: [], tensors: [.init(name: "w", dimensions: [16, 4], type: .q8_0, values: values)], to: url),
                              file: url, contains: ["'w'", "rows of 16 values"])
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path), "a failed write leaves no file")
    }
}
