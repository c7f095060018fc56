import Foundation
import XCTest
@testable import IRPOPipeline

/// examples/smollm2-synthetic.yaml is the gold variant of `irpo demo --model smollm2` written as a
/// run config: the same settings, so that `irpo run` of it reproduces the demo's run.
final class RealModelExampleTests: XCTestCase {
    static let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/smollm2-synthetic.yaml")

    func testTheExampleHoldsTheDemosGoldVariant() throws {
        // The seed model folder is the user's; any existing folder stands in for it here.
        let text = try String(contentsOf: Self.example, encoding: .utf8)
            .replacingOccurrences(of: "seed_model: models/smollm2-135m-instruct", with: "seed_model: \(FileManager.default.temporaryDirectory.path)")
        let example = try RunConfig(yaml: text, file: Self.example.path)
        var demo = RealModelDemoSettings().runConfig(seedModel: example.seedModel)
        demo.name = example.name
        demo.baselines = example.baselines   // the demo's baselines are not part of an `irpo run`
        func json(_ config: RunConfig) throws -> [String: Any] {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return try XCTUnwrap(JSONSerialization.jsonObject(with: encoder.encode(config)) as? [String: Any])
        }
        let a = try json(example), b = try json(demo)
        for key in Set(a.keys).union(b.keys).sorted() {
            let same = NSDictionary(dictionary: a.filter { $0.key == key }).isEqual(to: b.filter { $0.key == key })
            XCTAssertTrue(same, "key \(key): example \(a[key] ?? "absent"), demo \(b[key] ?? "absent")")
        }
    }
}
