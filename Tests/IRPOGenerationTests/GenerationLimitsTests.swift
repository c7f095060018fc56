import Foundation
import XCTest
import IRPOModel
@testable import IRPOGeneration

/// Sizes from callers that skipped validation: a clean error, not an overflow trap.
final class GenerationLimitsTests: XCTestCase {
    func testHugeMaxNewTokensIsAnErrorNotATrap() throws {
        let model = try LlamaModel(configuration: TinyModels.configuration("llama-untied-mha"), seed: 1)
        let generator = Generator(model: model, maxBatchSize: 2)
        for maxNewTokens in [Int.max, Int.max - 3, 1 << 40] {
            var parameters = GenerateParameters.greedy(maxNewTokens: 1)
            parameters.maxNewTokens = maxNewTokens
            XCTAssertThrowsError(try generator.generate(prompts: [[1, 2, 3]], parameters: parameters), "\(maxNewTokens)") { error in
                XCTAssertTrue("\(error)".contains("too much memory"), "\(error)")
            }
        }
        XCTAssertThrowsError(try KVCache(configuration: model.configuration, capacities: [Int.max]))
    }
}
