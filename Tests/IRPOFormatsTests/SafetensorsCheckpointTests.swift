import Foundation
import XCTest
@testable import IRPOFormats

final class SafetensorsCheckpointTests: XCTestCase {
    func testReadsPythonWrittenShardedCheckpointExactly() throws {
        let fixtures = try TestSupport.fixtures()
        let checkpoint = try SafetensorsCheckpoint(directory: fixtures.appendingPathComponent("st_sharded"))
        let expected = try TestSupport.json(fixtures.appendingPathComponent("st_sharded.expected.json"))
        XCTAssertEqual(checkpoint.files.count, 2)
        XCTAssertEqual(checkpoint.tensorNames, expected.keys.sorted())
        for (name, value) in expected {
            let entry = try XCTUnwrap(value as? [String: Any])
            XCTAssertEqual(checkpoint.info(name)?.shape, TestSupport.ints(entry["shape"]), name)
            assertBitIdentical(try checkpoint.floats(name), TestSupport.floatsFromBits(entry["bits"]), name)
        }
        XCTAssertNil(checkpoint.info("absent"))
    }

    func testMissingShardIsRejected() throws {
        let source = try TestSupport.fixtures().appendingPathComponent("st_sharded")
        let folder = try TestSupport.temporaryDirectory(self)
        for name in ["model.safetensors.index.json", "model-00001-of-00002.safetensors"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        let index = folder.appendingPathComponent("model.safetensors.index.json")
        assertFormatError(try SafetensorsCheckpoint(directory: folder), file: index, contains: ["model-00002-of-00002.safetensors", "missing"])
    }

    func testSingleFileFolderAndEmptyFolder() throws {
        let folder = try TestSupport.temporaryDirectory(self)
        assertFormatError(try SafetensorsCheckpoint(directory: folder), file: folder, contains: ["neither model.safetensors"])
        let values: [Float] = [1, 2, 3, 4]
        try values.withUnsafeBufferPointer { pointer in
            try SafetensorsWriter.write([.init(name: "w", shape: [2, 2], values: pointer)], dtype: .f32, metadata: [:],
                                        to: folder.appendingPathComponent("model.safetensors"))
        }
        let checkpoint = try SafetensorsCheckpoint(directory: folder)
        XCTAssertEqual(checkpoint.tensorNames, ["w"])
        XCTAssertEqual(try checkpoint.floats("w"), values)
        assertFormatError(try checkpoint.floats("v"), file: folder, contains: ["no tensor named 'v'"])
    }
}
