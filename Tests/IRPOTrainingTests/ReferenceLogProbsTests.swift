import Foundation
import XCTest
@testable import IRPOTraining

final class ReferenceLogProbsTests: XCTestCase {
    func testComputeMatchesTheModelAndIsCached() throws {
        let examples = ToyData.pairs(count: 7, vocabulary: 11, seed: 1)
        let model = BigramTestModel(vocabulary: 11, seed: 2)
        let values = try ReferenceLogProbs.compute(model: model, examples: examples, referenceModel: "bigram", sequencesPerForward: 3)
        for (index, example) in examples.enumerated() {
            XCTAssertEqual(values.chosen[index], try model.logProbs([example.chosenSequence])[0])
            XCTAssertEqual(values.rejected[index], try model.logProbs([example.rejectedSequence!])[0])
            XCTAssertLessThan(values.chosen[index], 0)
        }
        let directory = try ToyData.temporaryDirectory("refcache")
        let url = directory.appendingPathComponent("pairs.ref_logps.json")
        var built = 0
        let first = try ReferenceLogProbs.cached(at: url, examples: examples, referenceModel: "bigram",
                                                 makeModel: { built += 1; return model })
        XCTAssertFalse(first.reused)
        let second = try ReferenceLogProbs.cached(at: url, examples: examples, referenceModel: "bigram",
                                                  makeModel: { built += 1; return model })
        XCTAssertTrue(second.reused)
        XCTAssertEqual(second.values, values)     // exact round trip through JSON
        XCTAssertEqual(built, 1)
        // Other examples or another reference model invalidate the cache.
        let third = try ReferenceLogProbs.cached(at: url, examples: Array(examples.dropLast()), referenceModel: "bigram",
                                                 makeModel: { built += 1; return model })
        XCTAssertFalse(third.reused)
        let fourth = try ReferenceLogProbs.cached(at: url, examples: Array(examples.dropLast()), referenceModel: "other",
                                                  makeModel: { built += 1; return model })
        XCTAssertFalse(fourth.reused)
        XCTAssertEqual(built, 3)
    }

    func testDamagedCacheIsAClearError() throws {
        let directory = try ToyData.temporaryDirectory("refcache-bad")
        let url = directory.appendingPathComponent("bad.json")
        try Data("{not json".utf8).write(to: url)
        XCTAssertThrowsError(try ReferenceLogProbs.load(from: url)) { error in
            XCTAssertTrue("\(error)".contains("delete it to recompute"), "\(error)")
        }
    }
}
