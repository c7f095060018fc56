import CIRPOKernels
import Foundation
import IRPOTensor

/// A token drawn by `Sampler`, with its log-probability under the model's raw distribution
/// (log-softmax of the unmodified logits: before repetition penalty, temperature and filters).
public struct SampledToken: Sendable, Equatable {
    /// The token id.
    public var token: Int32
    /// `log p(token)` under the raw logits; `0` when the sampler was not asked for it.
    public var logProb: Float
}

/// Picks the next token from one row of logits: greedy, or temperature sampling restricted by
/// top-k, top-p and min-p, with an optional repetition penalty.
///
/// Filters follow transformers' `LogitsProcessor` semantics and order (penalty, temperature,
/// top-k, top-p, min-p; top-p keeps a token when the probability of the strictly more likely
/// tokens is below `topP`, so at least one token always survives). Candidates are ordered by
/// logit (descending), ties by lower id; a uniform draw `u` then selects the first candidate whose
/// cumulative probability exceeds `u`. The draw is the only randomness, taken from the sample's
/// own `SampleStream`, so the choice is a pure function of the logits row, the seen tokens and
/// the stream.
///
/// To avoid sorting the whole vocabulary, the sampler first sorts only the tokens within a factor
/// `1e-4` of the most likely one and falls back to a full sort when those do not provably contain
/// the kept set; the result is the same either way.
public struct Sampler: Sendable {
    /// The settings (only the sampling fields are used).
    public let parameters: GenerateParameters

    /// Probability ratio (to the top token) above which tokens are sorted in the fast path.
    static let candidateRatio: Float = 1e-4

    /// A sampler for `parameters`.
    public init(parameters: GenerateParameters) {
        self.parameters = parameters
    }

    /// Draws one token from `logits[0..<vocabularySize]`.
    ///
    /// - Parameters:
    ///   - logits: one row of logits; OVERWRITTEN (used as scratch).
    ///   - vocabularySize: the row length (>= 1).
    ///   - seenTokens: tokens already in the prompt or completion (for the repetition penalty).
    ///   - stream: the sample's random stream; one draw is taken unless decoding is greedy.
    ///   - computeLogProb: whether to fill `SampledToken.logProb`.
    public func sample(
        logits: UnsafeMutablePointer<Float>, vocabularySize: Int,
        seenTokens: Set<Int32> = [], stream: inout SampleStream, computeLogProb: Bool = false
    ) -> SampledToken {
        precondition(vocabularySize >= 1, "Sampler needs at least one logit")
        let v = vocabularySize
        var rawLogSumExp: Float = 0
        var rawPenalized: [Int32: Float] = [:]
        if computeLogProb {
            rawLogSumExp = Self.logSumExp(logits, count: v)
        }
        let penalty = parameters.repetitionPenalty
        if penalty != 1 {
            for token in seenTokens where token >= 0 && Int(token) < v {
                let value = logits[Int(token)]
                if computeLogProb { rawPenalized[token] = value }
                logits[Int(token)] = value < 0 ? value * penalty : value / penalty
            }
        }
        let token: Int32
        if parameters.isGreedy {
            token = Self.argmax(logits, count: v)
        } else {
            token = drawFiltered(logits, count: v, scale: 1 / parameters.temperature, uniform: stream.nextUniform())
        }
        var logProb: Float = 0
        if computeLogProb {
            // Only penalised entries of `logits` were changed.
            let raw = rawPenalized[token] ?? logits[Int(token)]
            logProb = raw - rawLogSumExp
        }
        return SampledToken(token: token, logProb: logProb)
    }

    /// Index of the largest value (lowest index on ties; NaN never wins).
    static func argmax(_ values: UnsafePointer<Float>, count: Int) -> Int32 {
        var best = 0
        var bestValue = -Float.infinity
        for index in 0..<count where values[index] > bestValue {
            bestValue = values[index]
            best = index
        }
        return Int32(best)
    }

    /// `log(sum(exp(values)))`, accumulated in Double.
    static func logSumExp(_ values: UnsafePointer<Float>, count: Int) -> Float {
        let m = VectorMath.max(values, count: count)
        if !m.isFinite { return m }
        var sum = 0.0
        blockExponentials(values, count: count, shift: m, scale: 1) { sum += Double($1) }
        return m + Float(Foundation.log(sum))
    }

    /// Calls `body(exp((values[i] - shift) * scale))` for `i` in order (SIMD polynomial exp).
    @inline(__always)
    static func exponentials(
        _ values: UnsafePointer<Float>, count: Int, shift: Float, scale: Float, _ body: (Float) -> Void
    ) {
        let s = SIMD8<Float>(repeating: shift)
        let f = SIMD8<Float>(repeating: scale)
        var i = 0
        while i + 8 <= count {
            let e = VectorMath.exp((VectorMath.load(values + i) - s) * f)
            for lane in 0..<8 { body(e[lane]) }
            i += 8
        }
        if i < count {
            let e = VectorMath.exp((VectorMath.load(values + i, count: count - i) - s) * f)
            for lane in 0..<(count - i) { body(e[lane]) }
        }
    }

    /// Calls `body(block, sum)` for each block of 8 values in order, where `sum` is the fixed-order
    /// horizontal sum of `exp((values[i] - shift) * scale)` over the block (the last block holds
    /// fewer values). Summing 8 at a time keeps the running total's dependency chain short.
    /// With `avx512` (only where the CPU has it) the whole blocks' sums come from the AVX-512
    /// kernel, which computes the same sums to the bit.
    @inline(__always)
    static func blockExponentials(
        _ values: UnsafePointer<Float>, count: Int, shift: Float, scale: Float, avx512: Bool = VectorKernels.avx512,
        _ body: (Int, Float) -> Void
    ) {
        let s = SIMD8<Float>(repeating: shift)
        let f = SIMD8<Float>(repeating: scale)
        var i = 0
        if avx512 && count >= 8 {
            let blocks = count / 8
            withUnsafeTemporaryAllocation(of: Float.self, capacity: blocks) { sums in
                guard let base = sums.baseAddress else { return }
                irpo_block_exp_sums_avx512(values, count, shift, scale, base)
                for block in 0..<blocks { body(block, base[block]) }
            }
            i = blocks * 8
        }
        while i + 8 <= count {
            body(i / 8, VectorMath.horizontalSum(VectorMath.exp((VectorMath.load(values + i) - s) * f)))
            i += 8
        }
        if i < count {
            let e = VectorMath.exp((VectorMath.load(values + i, count: count - i, padding: -.infinity) - s) * f)
            body(i / 8, VectorMath.horizontalSum(e))
        }
    }

    /// Inverse-CDF draw over the whole vocabulary in id order, with the cumulative sum kept per
    /// block of 8 (`blockExponentials`): the first block whose running total exceeds
    /// `uniform * total`, then the first token inside it that does (its last non-zero token if
    /// rounding leaves the block's own lanes just short).
    private func drawUnfiltered(_ logits: UnsafePointer<Float>, count v: Int, max m: Float, scale: Float, uniform: Double) -> Int32 {
        let blocks = UnsafeMutablePointer<Float>.allocate(capacity: (v + 7) / 8)
        defer { blocks.deallocate() }
        var total = 0.0
        Self.blockExponentials(logits, count: v, shift: m, scale: scale) { block, sum in
            blocks[block] = sum
            total += Double(sum)
        }
        let target = uniform * total
        var cumulative = 0.0
        for block in 0..<((v + 7) / 8) {
            let next = cumulative + Double(blocks[block])
            if next > target && blocks[block] > 0 {
                let start = block * 8, width = min(8, v - start)
                let e = VectorMath.exp((VectorMath.load(logits + start, count: width, padding: -.infinity) - SIMD8(repeating: m))
                                       * SIMD8(repeating: scale))
                var running = cumulative
                var last = -1
                for lane in 0..<width where e[lane] > 0 {
                    last = lane
                    running += Double(e[lane])
                    if running > target { return Int32(start + lane) }
                }
                return Int32(start + max(0, last))
            }
            cumulative = next
        }
        return Self.argmax(logits, count: v)
    }

    /// Samples from `softmax(logits * scale)` after top-k, top-p and min-p (`scale` = 1/temperature).
    private func drawFiltered(_ logits: UnsafePointer<Float>, count v: Int, scale: Float, uniform: Double) -> Int32 {
        let m = VectorMath.max(logits, count: v)
        guard m.isFinite else { return Self.argmax(logits, count: v) }
        let topK = parameters.topK > 0 && parameters.topK < v ? parameters.topK : 0
        let topP = Double(parameters.topP)
        let minP = parameters.minP
        if topK == 0 && topP >= 1 && minP <= 0 {
            return drawUnfiltered(logits, count: v, max: m, scale: scale, uniform: uniform)
        }
        var total = 0.0
        Self.blockExponentials(logits, count: v, shift: m, scale: scale) { total += Double($1) }
        if let token = drawFromCandidates(logits, count: v, max: m, total: total, scale: scale,
                                          ratio: Self.candidateRatio, topK: topK, topP: topP, minP: minP, uniform: uniform) {
            return token
        }
        // The fast path could not prove its candidates sufficient: use every token.
        return drawFromCandidates(logits, count: v, max: m, total: total, scale: scale, ratio: 0,
                                  topK: topK, topP: topP, minP: minP, uniform: uniform) ?? Self.argmax(logits, count: v)
    }

    /// Sorts the tokens with `p >= ratio * p_max` and applies the filters to them; returns `nil`
    /// when the kept set might include a token outside the candidates.
    private func drawFromCandidates(
        _ logits: UnsafePointer<Float>, count v: Int, max m: Float, total: Double, scale: Float, ratio: Float,
        topK: Int, topP: Double, minP: Float, uniform: Double
    ) -> Int32? {
        let cut = ratio > 0 ? m + Foundation.log(ratio) / scale : -Float.infinity
        var candidates: [Int32] = []
        for index in 0..<v where logits[index] >= cut { candidates.append(Int32(index)) }
        let complete = candidates.count == v
        candidates.sort { a, b in
            let la = logits[Int(a)], lb = logits[Int(b)]
            return la > lb || (la == lb && a < b)
        }
        var weights: [Double] = []
        weights.reserveCapacity(candidates.count)
        let values = candidates.map { logits[Int($0)] }
        values.withUnsafeBufferPointer { row in
            guard let base = row.baseAddress else { return }
            Self.exponentials(base, count: row.count, shift: m, scale: scale) { weights.append(Double($0)) }
        }
        guard !weights.isEmpty else { return nil }
        var kept = candidates.count
        var truncated = false
        // top-k
        var keptMass = total
        if topK > 0 {
            if candidates.count >= topK {
                kept = topK
                truncated = true
                keptMass = weights[0..<kept].reduce(0, +)
            } else if !complete {
                return nil
            }
        }
        // top-p: keep while the mass of strictly more likely tokens is below topP.
        if topP < 1 {
            let limit = topP * keptMass
            var before = 0.0
            var n = 0
            while n < kept && before < limit {
                before += weights[n]
                n += 1
            }
            if n < kept {
                kept = n
                truncated = true
            } else if before < limit && !truncated && !complete {
                return nil
            }
        }
        // min-p: keep tokens with p >= minP * p_max.
        if minP > 0 {
            if !truncated && !complete && minP < ratio { return nil }
            let threshold = Double(minP)
            var n = 0
            while n < kept && weights[n] >= threshold { n += 1 }
            kept = max(1, n)
        }
        let mass = weights[0..<kept].reduce(0, +)
        let target = uniform * mass
        var cumulative = 0.0
        for n in 0..<kept {
            cumulative += weights[n]
            if cumulative > target { return candidates[n] }
        }
        return candidates[kept - 1]
    }
}
