import Foundation
import XCTest
@testable import IRPOFormats

/// Leftovers of atomic writers killed mid-write: temporary files and partial folders are
/// removed, a stale folder whose replacement never arrived is moved back, other files stay.
final class InterruptedWritesTests: XCTestCase {
    func testTemporaryFilesAndFoldersAreRemovedAndStaleFoldersRestored() throws {
        let root = try TestSupport.temporaryDirectory(self)
        let manager = FileManager.default
        func make(_ path: String, _ text: String = "x") throws {
            let url = root.appendingPathComponent(path)
            try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        let kept = ["state.json", "iter-1/samples.partial.jsonl", "iter-1/model/model.safetensors", ".hidden", "a.tmp-1",
                    "train/checkpoint-000004/trainer_state.json", "train/checkpoint-000002/trainer_state.json"]
        for path in kept { try make(path) }
        try make("train/.checkpoint-000002.stale/trainer_state.json", "old")  // its replacement is in place: removed
        try make("train/.checkpoint-000006.stale/trainer_state.json", "six")  // killed between the renames: restored
        let removed = [".state.json.tmp-123", "iter-1/model/.model.safetensors.tmp-0B7C5D2E", "train/.checkpoint-000006.partial/optimizer.bin",
                       "iter-1/.model.partial/config.json"]
        for path in removed { try make(path) }
        try AtomicFileWriter.write(Data("new".utf8), to: root.appendingPathComponent("written.bin"))

        let handled = try InterruptedWrites.clean(root)
        XCTAssertEqual(Set(handled), [".state.json.tmp-123", "iter-1/.model.partial", "iter-1/model/.model.safetensors.tmp-0B7C5D2E",
                                      "train/.checkpoint-000002.stale", "train/.checkpoint-000006.partial",
                                      "train/.checkpoint-000006.stale -> train/checkpoint-000006"])
        for path in kept + ["written.bin"] { XCTAssertTrue(manager.fileExists(atPath: root.appendingPathComponent(path).path), path) }
        for path in removed { XCTAssertFalse(manager.fileExists(atPath: root.appendingPathComponent(path).path), path) }
        XCTAssertEqual(try String(contentsOf: root.appendingPathComponent("train/checkpoint-000006/trainer_state.json"), encoding: .utf8), "six")
        XCTAssertEqual(try String(contentsOf: root.appendingPathComponent("train/checkpoint-000002/trainer_state.json"), encoding: .utf8), "x")
        XCTAssertEqual(try InterruptedWrites.clean(root), [], "a second pass finds nothing")
    }
}
