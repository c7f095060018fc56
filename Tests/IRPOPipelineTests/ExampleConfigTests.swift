import Foundation
import XCTest
@testable import IRPOPipeline

/// Every file in examples/ parses and validates. The files it names (seed model, data) are not
/// part of the repository, so they are stood in for by empty files (an empty folder for a seed
/// model that is not a .gguf file) in a scratch folder that becomes the working directory, with
/// the same relative layout.
final class ExampleConfigTests: XCTestCase {
    static var examples: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples")
    }

    func testEveryExampleParsesAndValidates() throws {
        let manager = FileManager.default
        let files = try manager.contentsOfDirectory(at: Self.examples, includingPropertiesForKeys: nil)
            .filter { ["yaml", "yml", "json"].contains($0.pathExtension) }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        XCTAssertTrue(files.map(\.lastPathComponent).contains("synthetic-rpo.yaml"), "\(files)")
        XCTAssertTrue(files.map(\.lastPathComponent).contains("smollm2-gsm8k.yaml"), "\(files)")
        let scratch = manager.temporaryDirectory.appendingPathComponent("irpo-examples-\(UUID().uuidString)")
        let workingDirectory = scratch.appendingPathComponent("a/b/repo")
        try manager.createDirectory(at: workingDirectory, withIntermediateDirectories: true)
        let previous = manager.currentDirectoryPath
        defer {
            _ = manager.changeCurrentDirectoryPath(previous)
            try? manager.removeItem(at: scratch)
        }
        XCTAssertTrue(manager.changeCurrentDirectoryPath(workingDirectory.path))
        for file in files {
            // Create the paths the config names, relative to the working directory.
            let reader = try ConfigReader.parse(Data(contentsOf: file), file: file.path)
            var paths: [String] = []
            if case let .string(seed)? = reader.object["seed_model"] {
                if seed.lowercased().hasSuffix(".gguf") { paths.append(seed) } else if !seed.hasPrefix("/") {
                    try manager.createDirectory(at: workingDirectory.appendingPathComponent(seed), withIntermediateDirectories: true)
                }
            }
            if case let .object(task)? = reader.object["task"] {
                for key in ["train", "test", "dev"] { if case let .string(path)? = task[key] { paths.append(path) } }
            }
            for path in paths where !path.hasPrefix("/") {
                let url = workingDirectory.appendingPathComponent(path)
                try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                _ = manager.createFile(atPath: url.path, contents: Data())
            }
            do {
                let config = try RunConfig(contentsOf: file)
                XCTAssertFalse(config.name.isEmpty)
            } catch {
                XCTFail("\(file.lastPathComponent): \(error)")
            }
        }
    }
}
