import Foundation
import XCTest
@testable import IRPOFormats

/// Each fault of a GGUF file gets its own test expecting a `FormatError` that names the file and the fault.
final class GGUFBadInputTests: XCTestCase {
    /// A tensor-table entry for `build`.
    private struct Entry {
        var name = "t"
        var dimensions: [UInt64] = [32]
        var type: UInt32 = GGMLType.f32.rawValue
        var offset: UInt64 = 0
    }

    /// Builds a GGUF byte image: header, `metadata` (already encoded key/type/value bytes), tensor entries,
    /// padding to 32, then `dataBytes` zero bytes.
    private func build(version: UInt32 = 3, magic: UInt32 = 0x4655_4747, keyCount: UInt64? = nil, metadata: [ByteBuffer] = [],
                       tensors: [Entry] = [Entry()], dataBytes: Int = 128) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.append(magic)
        buffer.append(version)
        buffer.append(UInt64(tensors.count))
        buffer.append(keyCount ?? UInt64(metadata.count))
        for item in metadata { buffer.bytes += item.bytes }
        for entry in tensors {
            buffer.append(string: entry.name)
            buffer.append(UInt32(entry.dimensions.count))
            for dimension in entry.dimensions { buffer.append(dimension) }
            buffer.append(entry.type)
            buffer.append(entry.offset)
        }
        buffer.pad(to: 32)
        buffer.bytes += [UInt8](repeating: 0, count: dataBytes)
        return buffer.bytes
    }

    private func keyValue(_ key: String, type: UInt32, _ payload: (inout ByteBuffer) -> Void) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.append(string: key)
        buffer.append(type)
        payload(&buffer)
        return buffer
    }

    private func write(_ bytes: [UInt8]) throws -> URL {
        let url = try TestSupport.temporaryDirectory(self).appendingPathComponent("bad.gguf")
        try Data(bytes).write(to: url)
        return url
    }

    private func expectError(_ bytes: [UInt8], _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let url = try write(bytes)
        assertFormatError(try GGUFFile(contentsOf: url), file: url, contains: fragments, file: file, line: line)
    }

    func testHandBuiltValidFileParses() throws {
        let bytes = build(metadata: [keyValue("k", type: 8) { $0.append(string: "v") }])
        let file = try GGUFFile(contentsOf: try write(bytes))
        XCTAssertEqual(file.metadata["k"], .string("v"))
        XCTAssertEqual(try file.floats("t"), [Float](repeating: 0, count: 32))
    }

    func testBadMagic() throws {
        try expectError(build(magic: 0x4C4C_5547), ["bad magic", "not a GGUF file"])
    }

    func testEmptyFile() throws {
        try expectError([], ["truncated", "magic"])
    }

    func testVersion1IsUnsupported() throws {
        try expectError(build(version: 1), ["unsupported version 1"])
    }

    func testFutureAndBigEndianVersions() throws {
        try expectError(build(version: 4), ["unsupported version 4"])
        try expectError(build(version: UInt32(3).byteSwapped), ["big-endian"])
    }

    func testTruncatedMetadata() throws {
        let bytes = build(metadata: [keyValue("general.name", type: 4) { $0.append(UInt32(7)) }], tensors: [], dataBytes: 0)
        try expectError(Array(bytes.prefix(24 + 8 + 12 + 4 + 2)), ["truncated", "value of 'general.name'"])
    }

    func testStringLengthPastTheEnd() throws {
        let bytes = build(metadata: [keyValue("general.name", type: 8) { $0.append(UInt64(40)); $0.bytes += Array("abc".utf8) }], tensors: [], dataBytes: 0)
        try expectError(bytes, ["string value of 'general.name' of 40 bytes", "truncated"])
    }

    func testHugeStringLength() throws {
        let bytes = build(metadata: [keyValue("general.name", type: 8) { $0.append(UInt64.max - 3) }], tensors: [], dataBytes: 0)
        try expectError(bytes, ["length of string value of 'general.name'", "larger than the whole file"])
    }

    func testArrayCountPastTheEnd() throws {
        let bytes = build(metadata: [keyValue("tokenizer.ggml.tokens", type: 9) { $0.append(UInt32(8)); $0.append(UInt64(20)) }], tensors: [], dataBytes: 64)
        try expectError(bytes, ["'tokenizer.ggml.tokens'", "array elements of STRING", "truncated or corrupt"])
    }

    func testKeyCountPastTheEnd() throws {
        try expectError(build(keyCount: 100), ["100 metadata keys", "corrupt or truncated"])
        try expectError(build(keyCount: 1 << 50), ["metadata key count is 1125899906842624", "larger than the whole file"])
    }

    func testUnknownValueType() throws {
        try expectError(build(metadata: [keyValue("x", type: 13) { $0.append(UInt32(0)) }]), ["'x'", "unknown value type 13"])
    }

    func testInvalidBool() throws {
        try expectError(build(metadata: [keyValue("flag", type: 7) { $0.append(UInt8(2)) }]), ["'flag'", "BOOL value 2"])
    }

    func testDeeplyNestedArrays() throws {
        let bytes = build(metadata: [keyValue("deep", type: 9) { buffer in
            for _ in 0..<20 { buffer.append(UInt32(9)); buffer.append(UInt64(1)) }
            buffer.append(UInt32(0)); buffer.append(UInt64(0))
        }])
        try expectError(bytes, ["'deep'", "nests arrays deeper"])
    }

    func testDuplicateKey() throws {
        let item = keyValue("k", type: 0) { $0.append(UInt8(1)) }
        try expectError(build(metadata: [item, item]), ["'k' appears twice"])
    }

    func testBadAlignment() throws {
        try expectError(build(metadata: [keyValue("general.alignment", type: 4) { $0.append(UInt32(24)) }]), ["general.alignment", "24", "power of two"])
        try expectError(build(metadata: [keyValue("general.alignment", type: 8) { $0.append(string: "32") }]), ["general.alignment", "STRING"])
    }

    func testTensorDataOutsideTheFile() throws {
        try expectError(build(tensors: [Entry(dimensions: [64])], dataBytes: 128), ["'t'", "256 bytes of F32", "outside the file"])
        try expectError(build(tensors: [Entry(offset: 1 << 62)]), ["'t'", "outside the file"])
    }

    func testTensorOffsetNotAligned() throws {
        try expectError(build(tensors: [Entry(offset: 4)]), ["'t'", "offset 4", "alignment 32"])
    }

    func testOverlappingTensors() throws {
        try expectError(build(tensors: [Entry(name: "a"), Entry(name: "b", offset: 64)], dataBytes: 256), ["'a'", "'b'", "overlap"])
    }

    func testDimensionProductOverflows() throws {
        try expectError(build(tensors: [Entry(dimensions: [1 << 32, 1 << 32])]), ["'t'", "overflows"])
        try expectError(build(tensors: [Entry(dimensions: [UInt64.max])]), ["'t'", "too large"])
    }

    func testTooManyDimensions() throws {
        try expectError(build(tensors: [Entry(dimensions: [1, 1, 1, 1, 32])]), ["'t'", "5 dimensions"])
    }

    func testUnknownTensorType() throws {
        try expectError(build(tensors: [Entry(type: 77)]), ["'t'", "unknown tensor type 77"])
    }

    func testRowNotAMultipleOfTheBlockSize() throws {
        try expectError(build(tensors: [Entry(dimensions: [48], type: GGMLType.q4_0.rawValue)]), ["'t'", "Q4_0", "block size 32"])
    }

    func testDuplicateTensorName() throws {
        try expectError(build(tensors: [Entry(name: "a"), Entry(name: "a", offset: 128)], dataBytes: 256), ["'a' appears twice"])
    }

    func testTruncatedTensorTable() throws {
        let bytes = build(tensors: [Entry(name: "blk.0.attn_q.weight")], dataBytes: 0)
        try expectError(Array(bytes.prefix(24 + 8 + 19 + 4 + 3)), ["truncated", "dimension 0 of tensor 'blk.0.attn_q.weight'"])
    }
}
