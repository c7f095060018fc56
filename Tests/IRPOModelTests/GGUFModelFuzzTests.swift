import Foundation
import IRPOFormats
import IRPOFuzzSupport
import XCTest
@testable import IRPOModel

/// Seeded structure-aware mutations of a model GGUF's metadata (architecture, sizes, heads,
/// context, rope base and scaling, norms, of every value type and at their extremes, missing and
/// repeated) and tensor table (shapes, types, offsets, names, counts): every file loads and runs
/// a forward pass, or fails with a `FormatError` or `ModelError`; none traps, hangs past the
/// per-case bound or allocates from a declared size past the memory bound.
final class GGUFModelFuzzTests: XCTestCase {
    func testMutatedModelGGUFsLoadOrThrow() throws {
        let folder = try TestSupport.temporaryFolder(self)
        var scaled = TestSupport.tinyConfiguration(kvHeads: 4)
        scaled.ropeScaling = .init(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalMaxPositionEmbeddings: 32)
        var bases: [GGUFStructure] = []
        for (index, (configuration, type)) in [(TestSupport.tinyConfiguration(), GGMLType.f32),
                                                (TestSupport.tinyConfiguration(modelType: "qwen2", tied: true), .f16),
                                                (scaled, .f32)].enumerated() {
            let url = folder.appendingPathComponent("base\(index).gguf")
            try LlamaModel(configuration: configuration, seed: UInt64(index + 1)).saveGGUF(to: url, type: type)
            bases.append(try GGUFStructure(contentsOf: url))
        }
        let url = folder.appendingPathComponent("fuzz.gguf")
        let campaign = FuzzCampaign(name: "GGUF", defaultCases: 1500)
        var ran = 0
        let report = try campaign.run { index, random in
            var structure = random.pick(bases)
            let focus = structure.metadata.map(\.key).filter { !$0.hasPrefix("general.name") }
            GGUFMutator.mutate(&structure, focus: focus, using: &random)
            try Data(structure.bytes()).write(to: url)
            do {
                let model = try LlamaModel(ggufFile: url)
                let logits = try model.logits([[1, 2, 3]])
                XCTAssertEqual(logits.count, 3 * model.configuration.vocabularySize, "case \(index)")
                ran += 1
                return .accepted
            } catch let error as FormatError {
                XCTAssertTrue("\(error)".contains("fuzz.gguf"), "case \(index): \(error)")
                return .rejected
            } catch is ModelError {
                return .rejected
            }
        }
        print(report.summary)
        XCTAssertEqual(campaign.violations(report), [])
        XCTAssertGreaterThan(ran, 0, "harmless mutations must still load and run")
        XCTAssertGreaterThan(report.rejected, report.accepted, "most mutations must be detected")
    }
}
