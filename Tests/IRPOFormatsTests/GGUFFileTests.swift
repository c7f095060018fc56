import Foundation
import XCTest
@testable import IRPOFormats

final class GGUFFileTests: XCTestCase {
    private func metadataFixture() throws -> URL {
        try TestSupport.fixtures().appendingPathComponent("gguf_metadata.gguf")
    }

    func testReadsEveryMetadataValueTypeWrittenByGGUFPy() throws {
        let file = try GGUFFile(contentsOf: try metadataFixture())
        XCTAssertEqual(file.version, 3)
        XCTAssertEqual(file.alignment, 64)
        XCTAssertEqual(file.metadataKeys.first, "general.architecture")
        XCTAssertEqual(file.metadataKeys.count, 23)
        XCTAssertEqual(Set(file.metadataKeys), Set(file.metadata.keys))
        let expected: [String: GGUFValue] = [
            "general.architecture": .string("testarch"),
            "general.alignment": .uint32(64),
            "test.uint8": .uint8(200), "test.int8": .int8(-100),
            "test.uint16": .uint16(60000), "test.int16": .int16(-30000),
            "test.uint32": .uint32(4_000_000_000), "test.int32": .int32(-2_000_000_000),
            "test.float32": .float32(3.25), "test.bool": .bool(true),
            "test.string": .string("h\u{e9}llo w\u{f6}rld \u{2713}"),
            "test.uint64": .uint64(9_223_372_036_854_775_813), "test.int64": .int64(-4_611_686_018_427_387_904),
            "test.float64": .float64(2.718281828459045),
            "test.array.int32": .array([.int32(1), .int32(-2), .int32(3)]),
            "test.array.string": .array([.string("a"), .string("bc"), .string("")]),
            "test.array.float32": .array([.float32(0.5), .float32(-1.25)]),
            "test.array.bool": .array([.bool(true), .bool(false), .bool(true)]),
            "test.array.uint8": .array([.uint8(1), .uint8(2), .uint8(255)]),
            "test.array.uint64": .array([.uint64(0), .uint64(.max)]),
            "test.array.float64": .array([.float64(1.5), .float64(-0.25)]),
            "test.array.nested": .array([.array([.int32(1), .int32(2)]), .array([.int32(3)])]),
            "test.array.nested_strings": .array([.array([.string("x")]), .array([.string("y"), .string("z")])]),
        ]
        XCTAssertEqual(file.metadata, expected)
    }

    func testTensorTableAlignmentAndData() throws {
        let file = try GGUFFile(contentsOf: try metadataFixture())
        XCTAssertEqual(file.tensors.map(\.name), ["small.a", "small.b"])
        XCTAssertEqual(file.dataOffset % 64, 0)
        let b = try XCTUnwrap(file.tensor(named: "small.b"))
        XCTAssertEqual(b.type, .f16)
        XCTAssertEqual(b.dimensions, [3, 2])
        XCTAssertEqual(b.rowMajorShape, [2, 3])
        XCTAssertEqual(b.offset % 64, 0)
        XCTAssertEqual(try file.floats("small.a"), [0, 1, 2, 3, 4])
        XCTAssertEqual(try file.floats("small.b"), [0, 1, 2, 3, 4, 5])
        assertFormatError(try file.floats("nope"), file: file.url, contains: ["no tensor named 'nope'"])
    }

    func testVersion2IsAccepted() throws {
        var bytes = try Data(contentsOf: try metadataFixture())
        bytes[4] = 2
        let url = try TestSupport.temporaryDirectory(self).appendingPathComponent("v2.gguf")
        try bytes.write(to: url)
        let file = try GGUFFile(contentsOf: url)
        XCTAssertEqual(file.version, 2)
        XCTAssertEqual(try file.floats("small.a"), [0, 1, 2, 3, 4])
    }

    func testValueAccessors() {
        XCTAssertEqual(GGUFValue.uint32(7).intValue, 7)
        XCTAssertEqual(GGUFValue.int8(-3).intValue, -3)
        XCTAssertNil(GGUFValue.uint64(.max).intValue)
        XCTAssertNil(GGUFValue.string("7").intValue)
        XCTAssertEqual(GGUFValue.float32(0.5).doubleValue, 0.5)
        XCTAssertEqual(GGUFValue.int16(-2).doubleValue, -2)
        XCTAssertEqual(GGUFValue.bool(true).boolValue, true)
        XCTAssertNil(GGUFValue.uint8(1).boolValue)
        XCTAssertEqual(GGUFValue.string("x").stringValue, "x")
        XCTAssertEqual(GGUFValue.array([.string("a"), .string("b")]).stringArray, ["a", "b"])
        XCTAssertNil(GGUFValue.array([.string("a"), .int32(1)]).stringArray)
        XCTAssertEqual(GGUFValue.array([.int32(1), .uint8(2)]).intArray, [1, 2])
        XCTAssertEqual(GGUFValue.array([.float32(1.5), .int32(2)]).floatArray, [1.5, 2])
        XCTAssertEqual(GGUFValue.array([]).arrayValue, [])
        XCTAssertNil(GGUFValue.float64(1).arrayValue)
        XCTAssertEqual(GGUFValue.float64(1).typeName, "FLOAT64")
        XCTAssertEqual(GGMLType.q4_K.name, "Q4_K")
        XCTAssertEqual(GGMLType.iq2_xxs.name, "IQ2_XXS")
    }
}
