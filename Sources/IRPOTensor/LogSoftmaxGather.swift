import Foundation

/// Fused log-softmax over the vocabulary and gather of the target token's log-probability,
/// without a second [tokens, vocab] buffer: forward keeps only the per-row log-sum-exp, and
/// backward overwrites the logits with their gradient.
public enum LogSoftmaxGather {
    /// `logProbs[t] = logits[t, targets[t]] - logSumExp[t]`.
    /// - Parameters:
    ///   - logProbs: [tokens]; 0 where `targets[t] < 0` (an ignored position).
    ///   - logSumExp: [tokens], saved for backward.
    ///   - logits: [tokens, vocab].
    ///   - targets: [tokens], each in `0..<vocab`, or negative to ignore the row.
    public static func forward(
        logProbs: UnsafeMutablePointer<Float>, logSumExp: UnsafeMutablePointer<Float>,
        logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>, tokens: Int, vocab: Int
    ) {
        precondition(vocab >= 1, "LogSoftmaxGather: vocab must be >= 1")
        for t in 0..<tokens {
            precondition(Int(targets[t]) < vocab, "LogSoftmaxGather: target \(targets[t]) outside 0..<\(vocab)")
        }
        Parallel.forEachChunk(count: tokens, minimumChunk: max(1, 16384 / vocab)) { range in
            for t in range {
                let row = logits + t * vocab
                let lse = rowLogSumExp(row, count: vocab)
                logSumExp[t] = lse
                let target = Int(targets[t])
                logProbs[t] = target >= 0 ? row[target] - lse : 0
            }
        }
    }

    /// Overwrites the logits with `dLogits[t, j] = dLogProbs[t] * (onehot(targets[t])[j] -
    /// softmax(logits[t])[j])`. Rows with `dLogProbs[t] == 0` or a negative target become zeros.
    /// The result is the gradient itself (not accumulated): the buffer held the logits.
    /// - Parameters:
    ///   - logitsToGradient: [tokens, vocab]: logits in, dLogits out.
    ///   - dLogProbs: [tokens].
    ///   - logSumExp: [tokens], saved by forward.
    ///   - targets: [tokens], as given to forward.
    public static func backward(
        logitsToGradient: UnsafeMutablePointer<Float>, dLogProbs: UnsafePointer<Float>,
        logSumExp: UnsafePointer<Float>, targets: UnsafePointer<Int32>, tokens: Int, vocab: Int
    ) {
        Parallel.forEachChunk(count: tokens, minimumChunk: max(1, 16384 / vocab)) { range in
            for t in range {
                let row = logitsToGradient + t * vocab
                let target = Int(targets[t])
                let d = dLogProbs[t]
                if d == 0 || target < 0 {
                    row.update(repeating: 0, count: vocab)
                    continue
                }
                let shift16 = SIMD16<Float>(repeating: logSumExp[t]), scale16 = SIMD16<Float>(repeating: -d)
                var j = 0
                while j + 16 <= vocab {
                    VectorMath.store16(VectorMath.exp(VectorMath.load16(row + j) - shift16) * scale16, row + j)
                    j += 16
                }
                let shift = SIMD8<Float>(repeating: logSumExp[t]), scale = SIMD8<Float>(repeating: -d)
                while j < vocab {
                    let n = Swift.min(8, vocab - j)
                    if n == 8 {
                        VectorMath.store(VectorMath.exp(VectorMath.load(row + j) - shift) * scale, row + j)
                    } else {
                        let v = VectorMath.load(UnsafePointer(row + j), count: n)
                        VectorMath.store(VectorMath.exp(v - shift) * scale, row + j, count: n)
                    }
                    j += 8
                }
                row[target] += d
            }
        }
    }

    /// `log(sum(exp(row)))` computed stably around the row maximum.
    static func rowLogSumExp(_ row: UnsafePointer<Float>, count: Int) -> Float {
        let maximum = VectorMath.max(row, count: count)
        if maximum == -.infinity { return -.infinity }
        let m16 = SIMD16<Float>(repeating: maximum)
        var acc16 = SIMD16<Float>()
        var j = 0
        while j + 16 <= count {
            acc16 += VectorMath.exp(VectorMath.load16(row + j) - m16)
            j += 16
        }
        let m = SIMD8<Float>(repeating: maximum)
        var acc = acc16.lowHalf + acc16.highHalf
        if j + 8 <= count {
            acc += VectorMath.exp(VectorMath.load(row + j) - m)
            j += 8
        }
        if j < count {
            // Padding lanes hold -inf, whose exp is 0.
            acc += VectorMath.exp(VectorMath.load(row + j, count: count - j, padding: -.infinity) - m)
        }
        return maximum + Foundation.log(VectorMath.horizontalSum(acc))
    }
}
