import Foundation
@testable import IRPOTraining

/// A tiny differentiable stand-in for a language model: log p(token | previous) =
/// W[previous, token] - logsumexp(W[previous, :]), with W [V, V] the flat parameters.
/// Computes in Double, so finite differences of the loss through it are clean.
final class BigramTestModel: TrainableLanguageModel {
    let vocabulary: Int
    let parameters: UnsafeMutablePointer<Float>
    let gradients: UnsafeMutablePointer<Float>
    private var pending: [ScoredSequence]?
    /// Number of training forwards so far.
    var forwardCount = 0
    /// If set, the backward of this (1-based) training forward writes an infinite gradient.
    var poisonGradientAtForward: Int?

    init(vocabulary: Int, seed: UInt64) {
        self.vocabulary = vocabulary
        parameters = .allocate(capacity: vocabulary * vocabulary)
        gradients = .allocate(capacity: vocabulary * vocabulary)
        var state = seed
        for index in 0..<(vocabulary * vocabulary) {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            parameters[index] = Float(Int(state >> 40) % 2001 - 1000) / 1000 * 0.5
        }
        gradients.initialize(repeating: 0, count: vocabulary * vocabulary)
    }

    deinit {
        parameters.deallocate()
        gradients.deallocate()
    }

    var parameterCount: Int { vocabulary * vocabulary }
    var parameterPointer: UnsafeMutablePointer<Float> { parameters }
    var gradientPointer: UnsafeMutablePointer<Float> { gradients }

    func zeroGradients() { gradients.update(repeating: 0, count: parameterCount) }

    func logSoftmaxRow(_ previous: Int32) -> [Double] {
        let row = parameters + Int(previous) * vocabulary
        let values = (0..<vocabulary).map { Double(row[$0]) }
        let maximum = values.max() ?? 0
        let logSum = maximum + Foundation.log(values.reduce(0) { $0 + Foundation.exp($1 - maximum) })
        return values.map { $0 - logSum }
    }

    func logProbs(_ sequences: [ScoredSequence]) throws -> [Double] {
        sequences.map { sequence in
            (sequence.scoredFrom..<sequence.tokens.count).reduce(0.0) { sum, t in
                sum + logSoftmaxRow(sequence.tokens[t - 1])[Int(sequence.tokens[t])]
            }
        }
    }

    func forward(_ sequences: [ScoredSequence]) throws -> [Double] {
        forwardCount += 1
        pending = sequences
        return try logProbs(sequences)
    }

    func backward(dLogProbs: [Float]) throws {
        guard let sequences = pending else { throw TrainingError.model("no pending forward") }
        pending = nil
        if forwardCount == poisonGradientAtForward { gradients[0] = .infinity }
        for (sequence, d) in zip(sequences, dLogProbs) {
            for t in sequence.scoredFrom..<sequence.tokens.count {
                let previous = Int(sequence.tokens[t - 1])
                let probabilities = logSoftmaxRow(sequence.tokens[t - 1]).map(Foundation.exp)
                for j in 0..<vocabulary {
                    let onehot: Double = j == Int(sequence.tokens[t]) ? 1 : 0
                    gradients[previous * vocabulary + j] += Float(Double(d) * (onehot - probabilities[j]))
                }
            }
        }
    }

    func save(to directory: URL) throws {
        let data = Data(bytes: parameters, count: parameterCount * MemoryLayout<Float>.size)
        try data.write(to: directory.appendingPathComponent("weights.bin"))
    }

    /// A model with the weights a `save(to:)` wrote.
    static func load(from directory: URL, vocabulary: Int) throws -> BigramTestModel {
        let model = BigramTestModel(vocabulary: vocabulary, seed: 0)
        let data = try Data(contentsOf: directory.appendingPathComponent("weights.bin"))
        precondition(data.count == model.parameterCount * MemoryLayout<Float>.size)
        data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            UnsafeMutableRawPointer(model.parameters).copyMemory(from: base, byteCount: data.count)
        }
        return model
    }

    /// The parameters as an array (for comparisons).
    var parameterArray: [Float] { Array(UnsafeBufferPointer(start: parameters, count: parameterCount)) }
}

/// Deterministic toy preference data: winners follow one pattern, losers another.
enum ToyData {
    static func pairs(count: Int, vocabulary: Int, seed: UInt64) -> [TrainingExample] {
        var state = seed
        func next(_ bound: Int) -> Int32 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int32(Int(state >> 33) % bound)
        }
        return (0..<count).map { index in
            let promptLength = 2 + Int(next(3))
            let prompt = (0..<promptLength).map { _ in next(vocabulary) }
            let chosenLength = 2 + Int(next(4)), rejectedLength = 2 + Int(next(4))
            let start = Int(next(vocabulary))
            let chosen = (0..<chosenLength).map { Int32((start + $0) % vocabulary) }
            let rejected = (0..<rejectedLength).map { _ in next(vocabulary) }
            return TrainingExample(line: index + 1, prompt: prompt, chosen: chosen, rejected: rejected)
        }
    }

    static func temporaryDirectory(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("irpo-training-tests-\(name)-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
