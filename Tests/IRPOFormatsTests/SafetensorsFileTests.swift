import Foundation
import XCTest
@testable import IRPOFormats

final class SafetensorsFileTests: XCTestCase {
    // MARK: fixtures written by Python's safetensors

    func testReadsPythonWrittenDTypesExactly() throws {
        let fixtures = try TestSupport.fixtures()
        let file = try SafetensorsFile(contentsOf: fixtures.appendingPathComponent("st_dtypes.safetensors"))
        let expected = try TestSupport.json(fixtures.appendingPathComponent("st_dtypes.expected.json"))
        XCTAssertEqual(file.metadata, ["format": "pt", "note": "fixture"])
        XCTAssertEqual(Set(file.tensorNames), Set(expected.keys))
        for (name, value) in expected {
            let entry = try XCTUnwrap(value as? [String: Any])
            let info = try XCTUnwrap(file.info(name))
            XCTAssertEqual(info.shape, TestSupport.ints(entry["shape"]), name)
            if entry["ints"] != nil {
                XCTAssertEqual(try file.integers(name), TestSupport.ints(entry["ints"]), name)
                XCTAssertThrowsError(try file.floats(name))
            } else {
                assertBitIdentical(try file.floats(name), TestSupport.floatsFromBits(entry["bits"]), name)
            }
        }
        XCTAssertEqual(file.info("b.f16")?.dtype, .f16)
        XCTAssertEqual(file.info("c.bf16")?.dtype, .bf16)
        XCTAssertEqual(file.info("f.scalar")?.elementCount, 1)
    }

    func testTensorNamesAreInDataOffsetOrder() throws {
        let file = try SafetensorsFile(contentsOf: try TestSupport.fixtures().appendingPathComponent("st_dtypes.safetensors"))
        let offsets = file.tensorNames.compactMap { file.info($0)?.dataOffsets.lowerBound }
        XCTAssertEqual(offsets.count, file.tensorNames.count)
        XCTAssertEqual(offsets, offsets.sorted())
    }

    func testReadFloatsRejectsWrongDestinationSizeAndUnknownName() throws {
        let url = try TestSupport.fixtures().appendingPathComponent("st_dtypes.safetensors")
        let file = try SafetensorsFile(contentsOf: url)
        var buffer = [Float](repeating: 0, count: 5)
        try buffer.withUnsafeMutableBufferPointer { pointer in
            assertFormatError(try file.readFloats("a.f32", into: pointer), file: url, contains: ["a.f32", "6 elements"])
        }
        assertFormatError(try file.floats("missing"), file: url, contains: ["no tensor named 'missing'"])
    }

    // MARK: bad input: each fault has its own test

    /// Writes a safetensors file whose header is `header` (padded to 8), followed by `dataCount` bytes.
    private func makeFile(header: String, dataCount: Int, declaredLength: UInt64? = nil, keepBytes: Int? = nil, dropBytes: Int = 0) throws -> URL {
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var bytes: [UInt8] = []
        withUnsafeBytes(of: (declaredLength ?? UInt64(headerBytes.count)).littleEndian) { bytes.append(contentsOf: $0) }
        bytes += headerBytes
        bytes += (0..<dataCount).map { UInt8(truncatingIfNeeded: $0) }
        if let keepBytes { bytes = Array(bytes.prefix(keepBytes)) }
        bytes.removeLast(dropBytes)
        let url = try TestSupport.temporaryDirectory(self).appendingPathComponent("bad.safetensors")
        try Data(bytes).write(to: url)
        return url
    }

    func testValidHandMadeFileOpens() throws {
        let url = try makeFile(header: #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"U8","shape":[3],"data_offsets":[8,11]}}"#, dataCount: 11)
        let file = try SafetensorsFile(contentsOf: url)
        XCTAssertEqual(file.tensorNames, ["x", "y"])
        XCTAssertEqual(try file.integers("y"), [8, 9, 10])
    }

    func testTruncatedFileIsRejected() throws {
        let url = try makeFile(header: "{}", dataCount: 0, keepBytes: 5)
        assertFormatError(try SafetensorsFile(contentsOf: url), file: url, contains: ["5 bytes", "truncated"])
    }

    func testTruncatedDataIsRejected() throws {
        let url = try makeFile(header: #"{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, dataCount: 16, dropBytes: 6)
        assertFormatError(try SafetensorsFile(contentsOf: url), file: url, contains: ["'x'", "outside the data section"])
    }

    func testHeaderLengthPastEndIsRejected() throws {
        let url = try makeFile(header: "{}", dataCount: 0, declaredLength: 1 << 40)
        assertFormatError(try SafetensorsFile(contentsOf: url), file: url, contains: ["header length 1099511627776", "past the end"])
    }

    func testOffsetsOutsideDataAreRejected() throws {
        let url = try makeFile(header: #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#, dataCount: 8)
        assertFormatError(try SafetensorsFile(contentsOf: url), file: url, contains: ["'x'", "[8, 16]", "outside the data section"])
    }

    func testNegativeOrReversedOffsetsAreRejected() throws {
        let url = try makeFile(header: #"{"x":{"dtype":"U8","shape":[0],"data_offsets":[4,2]}}"#, dataCount: 8)
        assertFormatError(try SafetensorsFile(contentsOf: url), file: url, contains: ["'x'", "outside the data section"])
    }

    func testOverlappingOffsetsAreRejected() throws {
        let header = #"{"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        let url = try makeFile(header: header, dataCount: 12)
        assertFormatError(try SafetensorsFile(contentsOf: url), file: url, contains: ["'a'", "'b'", "overlap"])
    }

    func testUnknownDTypeIsRejected() throws {
        let url = try makeFile(header: #"{"x":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}"#, dataCount: 2)
        assertFormatError(try SafetensorsFile(contentsOf: url), file: url, contains: ["'x'", "unknown dtype 'F8_E4M3'"])
    }

    func testByteLengthNotMatchingShapeIsRejected() throws {
        let url = try makeFile(header: #"{"x":{"dtype":"F16","shape":[2,3],"data_offsets":[0,8]}}"#, dataCount: 8)
        assertFormatError(try SafetensorsFile(contentsOf: url), file: url, contains: ["'x'", "occupies 8 bytes", "needs 12"])
    }

    func testMalformedJSONIsRejected() throws {
        let url = try makeFile(header: #"{"x":{"dtype":"F32""#, dataCount: 0)
        assertFormatError(try SafetensorsFile(contentsOf: url), file: url, contains: ["not well-formed JSON"])
    }

    func testNegativeDimensionIsRejected() throws {
        let url = try makeFile(header: #"{"x":{"dtype":"F32","shape":[-1,2],"data_offsets":[0,0]}}"#, dataCount: 0)
        assertFormatError(try SafetensorsFile(contentsOf: url), file: url, contains: ["'x'", "invalid shape"])
    }

    func testFractionalDimensionIsRejected() throws {
        let url = try makeFile(header: #"{"x":{"dtype":"F32","shape":[1.5],"data_offsets":[0,0]}}"#, dataCount: 0)
        assertFormatError(try SafetensorsFile(contentsOf: url), file: url, contains: ["'x'", "invalid shape"])
    }

    func testOverflowingShapeIsRejected() throws {
        let url = try makeFile(header: #"{"x":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}"#, dataCount: 0)
        assertFormatError(try SafetensorsFile(contentsOf: url), file: url, contains: ["'x'", "overflows"])
    }

    func testNonStringMetadataIsRejected() throws {
        let url = try makeFile(header: #"{"__metadata__":{"k":1}}"#, dataCount: 0)
        assertFormatError(try SafetensorsFile(contentsOf: url), file: url, contains: ["__metadata__", "'k'"])
    }

    func testMissingFileIsRejected() throws {
        let url = try TestSupport.temporaryDirectory(self).appendingPathComponent("absent.safetensors")
        assertFormatError(try SafetensorsFile(contentsOf: url), file: url, contains: ["cannot open"])
    }
}
