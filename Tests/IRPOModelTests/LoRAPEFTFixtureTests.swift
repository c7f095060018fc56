import Foundation
import XCTest
@testable import IRPOModel

/// Adapters written by PEFT itself (`save_pretrained`, scripts/check_peft_lora.py) on the
/// `qwen2-bias` fixture model: irpo reads them and its adapted forward gives PEFT's log-probs
/// (computed in float64 by `PeftModel`).
final class LoRAPEFTFixtureTests: XCTestCase {
    struct Expected: Decodable {
        let rank: Int
        let alpha: Double
        let sequences: [[Int32]]
        let token_logprobs: [[Double]]
        let base_token_logprobs: [[Double]]
    }

    func testPEFTAdaptersGivePEFTsLogProbs() throws {
        let fixtures = try TestSupport.modelFixtures().deletingLastPathComponent().appendingPathComponent("lora")
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: fixtures.appendingPathComponent("peft-qwen2-bias.json")))
        let model = try LlamaModel.loadModel(path: try TestSupport.modelFixtures().appendingPathComponent("qwen2-bias").path)
        let adapters = try LoRAAdapters.loadPEFT(from: fixtures.appendingPathComponent("peft-qwen2-bias"), model: model.configuration)
        XCTAssertEqual(adapters.configuration.rank, expected.rank)
        XCTAssertEqual(adapters.configuration.alpha, expected.alpha)
        XCTAssertEqual(adapters.configuration.targets, LoRATarget.allCases)

        let batch = TokenBatch(sequences: expected.sequences,
                               scoreMasks: expected.sequences.map { sequence in sequence.indices.map { $0 > 0 } })
        let adapted = try model.forward(batch, savingForBackward: false, adapters: adapters)
        let base = try model.forward(batch, savingForBackward: false)
        var largestMove = 0.0, largestError = 0.0
        for (index, sequence) in expected.sequences.enumerated() {
            XCTAssertEqual(expected.token_logprobs[index].count, sequence.count - 1)
            for position in 1..<sequence.count {
                let want = expected.token_logprobs[index][position - 1]
                let got = Double(adapted.tokenLogProbs[index][position])
                largestError = max(largestError, abs(got - want))
                XCTAssertEqual(got, want, accuracy: 1e-4, "sequence \(index) position \(position)")
                XCTAssertEqual(Double(base.tokenLogProbs[index][position]), expected.base_token_logprobs[index][position - 1],
                               accuracy: 1e-4, "base: sequence \(index) position \(position)")
                largestMove = max(largestMove, abs(want - expected.base_token_logprobs[index][position - 1]))
            }
        }
        XCTAssertGreaterThan(largestMove, 0.05, "the fixture's adapters should change the model")
        print("PEFT fixture: adapters move log-probs by up to \(largestMove); irpo vs PEFT max |diff| \(largestError)")
    }
}
