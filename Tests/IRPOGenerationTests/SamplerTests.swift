import Foundation
import XCTest
@testable import IRPOGeneration

final class SamplerTests: XCTestCase {
    /// A fixed logits row with distinct values, ties and a negative tail.
    let logits: [Float] = [2.0, 1.5, 1.5, 0.7, 0.2, -0.3, -1.0, -1.5, -2.5, -4.0]

    /// The exact distribution the filters should produce, computed independently in Double
    /// (full sort, transformers' definitions).
    func expectedDistribution(_ p: GenerateParameters, logits: [Float], seen: Set<Int32> = []) -> [Double] {
        var values = logits.map(Double.init)
        for token in seen {
            let x = values[Int(token)]
            values[Int(token)] = x < 0 ? x * Double(p.repetitionPenalty) : x / Double(p.repetitionPenalty)
        }
        values = values.map { $0 / Double(p.temperature) }
        let order = values.indices.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }
        let m = values[order[0]]
        var probabilities = values.map { Foundation.exp($0 - m) }
        var kept = Set(order)
        if p.topK > 0 { kept = Set(order.prefix(p.topK)) }
        if p.topP < 1 {
            let mass = kept.reduce(0.0) { $0 + probabilities[$1] }
            var before = 0.0
            var nucleus = Set<Int>()
            for index in order where kept.contains(index) {
                if before >= Double(p.topP) * mass { break }
                nucleus.insert(index)
                before += probabilities[index]
            }
            kept = nucleus
        }
        if p.minP > 0 {
            let top = kept.map { probabilities[$0] }.max() ?? 0
            kept = kept.filter { probabilities[$0] >= Double(p.minP) * top }
        }
        for index in probabilities.indices where !kept.contains(index) { probabilities[index] = 0 }
        let total = probabilities.reduce(0, +)
        return probabilities.map { $0 / total }
    }

    /// Draws `count` samples (sample index j = 0..<count of prompt 0) and returns token counts.
    func drawCounts(_ p: GenerateParameters, logits: [Float], count: Int, seen: Set<Int32> = []) -> [Int] {
        let sampler = Sampler(parameters: p)
        var counts = [Int](repeating: 0, count: logits.count)
        for j in 0..<count {
            var row = logits
            var stream = SampleStream(seed: p.seed, prompt: 0, sample: j)
            let token = row.withUnsafeMutableBufferPointer {
                sampler.sample(logits: $0.baseAddress!, vocabularySize: $0.count, seenTokens: seen, stream: &stream).token
            }
            counts[Int(token)] += 1
        }
        return counts
    }

    /// Pearson chi-square of `counts` against `expected`; fails on draws outside the support.
    func chiSquare(_ counts: [Int], _ expected: [Double], file: StaticString = #filePath, line: UInt = #line) -> (Double, Int) {
        let n = Double(counts.reduce(0, +))
        var statistic = 0.0
        var cells = 0
        for (count, probability) in zip(counts, expected) {
            if probability == 0 {
                XCTAssertEqual(count, 0, "a filtered-out token was drawn", file: file, line: line)
                continue
            }
            let e = n * probability
            statistic += (Double(count) - e) * (Double(count) - e) / e
            cells += 1
        }
        return (statistic, cells - 1)
    }

    /// 0.999 quantiles of chi-square for 1...9 degrees of freedom.
    let criticalValues: [Double] = [10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32, 26.12, 27.88]

    func checkDistribution(_ p: GenerateParameters, expectedSupport: Int, seen: Set<Int32> = [],
                           file: StaticString = #filePath, line: UInt = #line) {
        let expected = expectedDistribution(p, logits: logits, seen: seen)
        XCTAssertEqual(expected.filter { $0 > 0 }.count, expectedSupport, "reference support", file: file, line: line)
        let counts = drawCounts(p, logits: logits, count: 20_000, seen: seen)
        let (statistic, df) = chiSquare(counts, expected, file: file, line: line)
        if df == 0 {
            XCTAssertEqual(counts.filter { $0 > 0 }.count, 1, file: file, line: line)
            return
        }
        XCTAssertLessThan(statistic, criticalValues[df - 1], "chi-square \(statistic) with \(df) df; counts \(counts)", file: file, line: line)
    }

    func testTemperatureOnlyMatchesSoftmax() {
        checkDistribution(GenerateParameters(temperature: 1, seed: 1), expectedSupport: 10)
        checkDistribution(GenerateParameters(temperature: 0.6, seed: 2), expectedSupport: 10)
        checkDistribution(GenerateParameters(temperature: 1.7, seed: 3), expectedSupport: 10)
    }

    func testTopK() {
        checkDistribution(GenerateParameters(temperature: 1, topK: 4, seed: 4), expectedSupport: 4)
        checkDistribution(GenerateParameters(temperature: 0.8, topK: 1, seed: 5), expectedSupport: 1)
    }

    func testTopP() {
        // Probabilities at T=1: 0.352, 0.213, 0.213, ...: 0.5 keeps 2 (0.352 < 0.5 <= 0.565).
        checkDistribution(GenerateParameters(temperature: 1, topP: 0.5, seed: 6), expectedSupport: 2)
        // Cumulative at T=1.3: ..., 0.887, 0.938: 0.9 keeps 6.
        checkDistribution(GenerateParameters(temperature: 1.3, topP: 0.9, seed: 7), expectedSupport: 6)
    }

    func testMinPAndCombinedFilters() {
        // Ratios to the top token at T=1: 1, 0.61, 0.61, 0.27, 0.17, ...: 0.2 keeps 4.
        checkDistribution(GenerateParameters(temperature: 1, minP: 0.2, seed: 8), expectedSupport: 4)
        checkDistribution(GenerateParameters(temperature: 0.9, topP: 0.95, topK: 6, minP: 0.05, seed: 9), expectedSupport: 5)
    }

    func testRepetitionPenaltyChangesTheDistribution() {
        let p = GenerateParameters(temperature: 1, repetitionPenalty: 1.8, seed: 10)
        let seen: Set<Int32> = [0, 5]
        let expected = expectedDistribution(p, logits: logits, seen: seen)
        XCTAssertLessThan(expected[0], expectedDistribution(GenerateParameters(), logits: logits)[0] - 0.05)
        checkDistribution(p, expectedSupport: 10, seen: seen)
    }

    func testGreedyIsArgmaxWithLowestIdOnTies() {
        var row: [Float] = [0.1, 3, 3, -1]
        var stream = SampleStream(seed: 0, prompt: 0, sample: 0)
        let sampled = row.withUnsafeMutableBufferPointer {
            Sampler(parameters: .greedy()).sample(logits: $0.baseAddress!, vocabularySize: 4, stream: &stream, computeLogProb: true)
        }
        XCTAssertEqual(sampled.token, 1)
        XCTAssertEqual(stream.counter, 0, "greedy decoding draws no random numbers")
        let logSumExp = Foundation.log([0.1, 3, 3, -1].map { Foundation.exp(Double($0)) }.reduce(0, +))
        XCTAssertEqual(Double(sampled.logProb), 3 - logSumExp, accuracy: 1e-5)

        var penalized: [Float] = [0.1, 3, 2.5, -1]
        let token = penalized.withUnsafeMutableBufferPointer {
            Sampler(parameters: GenerateParameters(temperature: 0, repetitionPenalty: 2)).sample(
                logits: $0.baseAddress!, vocabularySize: 4, seenTokens: [1], stream: &stream).token
        }
        XCTAssertEqual(token, 2, "3 / 2 = 1.5 < 2.5")
    }

    func testLogProbIsRawModelLogProbability() {
        let p = GenerateParameters(temperature: 0.5, topK: 3, repetitionPenalty: 1.3, seed: 11)
        let logSumExp = Foundation.log(logits.map { Foundation.exp(Double($0)) }.reduce(0, +))
        for j in 0..<50 {
            var row = logits
            var stream = SampleStream(seed: 11, prompt: 2, sample: j)
            let sampled = row.withUnsafeMutableBufferPointer {
                Sampler(parameters: p).sample(logits: $0.baseAddress!, vocabularySize: $0.count, seenTokens: [0, 3],
                                              stream: &stream, computeLogProb: true)
            }
            XCTAssertEqual(Double(sampled.logProb), Double(logits[Int(sampled.token)]) - logSumExp, accuracy: 1e-5)
        }
    }

    /// On a large vocabulary the fast path (sorting only likely tokens) must choose exactly the
    /// token a full-sort inverse CDF chooses for the same uniform draw, including when the
    /// nucleus reaches past the fast path's candidates.
    func testFastPathEqualsFullSortOnLargeVocabulary() {
        var generator = SplitMix(state: 42)
        let v = 3000
        var big = (0..<v).map { _ in Float(generator.nextDouble() * 4 - 12) }
        for index in [17, 400, 401, 2999] { big[index] = Float(generator.nextDouble() * 3) }
        let settings = [
            GenerateParameters(temperature: 1, topP: 0.9),
            GenerateParameters(temperature: 2.5, topP: 0.99),  // nucleus reaches the flat tail
            GenerateParameters(temperature: 1, topK: 50),
            GenerateParameters(temperature: 1, minP: 1e-6),
            GenerateParameters(temperature: 0.7, topP: 0.8, topK: 3, minP: 0.01),
        ]
        for p in settings {
            let expected = expectedDistribution(p, logits: big)
            let order = expected.indices.sorted { big[$0] > big[$1] || (big[$0] == big[$1] && $0 < $1) }
            for j in 0..<200 {
                var stream = SampleStream(seed: 5, prompt: 1, sample: j)
                var copy = stream
                let u = copy.nextUniform()
                var row = big
                let token = row.withUnsafeMutableBufferPointer {
                    Sampler(parameters: p).sample(logits: $0.baseAddress!, vocabularySize: v, stream: &stream).token
                }
                var cumulative = 0.0
                var reference = -1
                for index in order where expected[index] > 0 {
                    cumulative += expected[index]
                    reference = index
                    if cumulative > u { break }
                }
                XCTAssertEqual(Int(token), reference, "\(p) draw \(j) u=\(u)")
            }
        }
    }
}

/// A tiny independent generator for test data.
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func nextDouble() -> Double { Double(next() >> 11) / 9_007_199_254_740_992.0 }
}
