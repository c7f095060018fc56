import Dispatch
import Foundation

/// Micro-benchmarks of the kernels at the shapes of the SmolLM-135M training step
/// (4 x 512 tokens, 576 channels, 1536 intermediate, 9 heads / 3 kv heads of 64, vocab 49152).
///
/// For the CLI (`irpo bench`), never for tests: timings depend on the machine and its load.
public enum KernelBenchmarks {
    /// One measured kernel.
    public struct Row: Sendable, CustomStringConvertible {
        /// Kernel and direction, e.g. "RMSNorm.forward".
        public let name: String
        /// Human-readable shape, e.g. "[2048x576]".
        public let shape: String
        /// Elements the ns/element figure divides by (documented per kernel in `shape`).
        public let elements: Int
        /// Best wall time of one call over the repetitions, in seconds.
        public let seconds: Double
        /// Floating-point operations of one call, when meaningful (GEMM, attention), else 0.
        public let flops: Double

        /// `seconds * 1e9 / elements`.
        public var nanosecondsPerElement: Double { seconds * 1e9 / Double(max(1, elements)) }
        /// `flops / seconds / 1e9`, or 0.
        public var gigaflopsPerSecond: Double { flops > 0 ? flops / seconds / 1e9 : 0 }

        /// One aligned line: name, shape, ns/element, milliseconds and GFLOP/s when known.
        public var description: String {
            let base = "\(name.padding(toLength: 28, withPad: " ", startingAt: 0)) \(shape.padding(toLength: 26, withPad: " ", startingAt: 0))"
                + " \(format(nanosecondsPerElement, digits: 4)) ns/elt  \(format(seconds * 1e3, digits: 3)) ms"
            return flops > 0 ? base + "  \(format(gigaflopsPerSecond, digits: 1)) GFLOP/s" : base
        }
    }

    /// What a measurement counts.
    public enum Clock: Sendable {
        /// Elapsed wall time (what a user waits for; use on an idle machine).
        case wall
        /// CPU time of the whole process, all threads (less sensitive to other load on a shared
        /// machine; with several threads it also counts BLAS threads spinning while they wait).
        case processCPU

        func now() -> Double {
            switch self {
            case .wall:
                return Double(DispatchTime.now().uptimeNanoseconds) / 1e9
            case .processCPU:
                var usage = rusage()
                #if canImport(Darwin)
                getrusage(RUSAGE_SELF, &usage)
                #else
                getrusage(RUSAGE_SELF.rawValue, &usage)
                #endif
                let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
                let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
                return user + system
            }
        }
    }

    /// Measures every kernel; `tokens` rows of the activations (default 2048 = 4 x 512) and
    /// `repetitions` calls per kernel (the best is kept). Uses the current `Parallel.threadCount`
    /// and `GEMM.threadCount`.
    public static func run(tokens: Int = 2048, sequenceLength: Int = 512, repetitions: Int = 5, clock: Clock = .wall) -> [Row] {
        precondition(tokens >= sequenceLength && tokens % sequenceLength == 0, "tokens must be a multiple of sequenceLength")
        let channels = 576, intermediate = 1536, heads = 9, kvHeads = 3, headDim = 64, vocab = 49152
        let batch = tokens / sequenceLength
        let logitRows = max(1, min(tokens, 256))
        var generator = SeededGenerator(seed: 1)
        func buffer(_ count: Int, std: Float = 1) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
            generator.fillNormal(p, count: count, std: std)
            return p
        }
        var rows: [Row] = []
        func measure(_ name: String, _ shape: String, elements: Int, flops: Double = 0, _ body: () -> Void) {
            body()  // warm up
            var best = Double.infinity
            for _ in 0..<repetitions {
                let start = clock.now()
                body()
                best = min(best, clock.now() - start)
            }
            rows.append(Row(name: name, shape: shape, elements: elements, seconds: best, flops: flops))
        }

        // GEMM: the MLP up projection and its two backward products.
        let x = buffer(tokens * channels), w = buffer(intermediate * channels), y = buffer(tokens * intermediate)
        let gemmFlops = 2.0 * Double(tokens * channels * intermediate)
        measure("GEMM NT (x W^T)", "[\(tokens)x\(channels)]x[\(channels)x\(intermediate)]", elements: tokens * intermediate, flops: gemmFlops) {
            GEMM.multiply(transposeA: false, transposeB: true, m: tokens, n: intermediate, k: channels, a: x, b: w, c: y)
        }
        measure("GEMM NN (dY W)", "[\(tokens)x\(intermediate)]x[\(intermediate)x\(channels)]", elements: tokens * channels, flops: gemmFlops) {
            GEMM.multiply(transposeA: false, transposeB: false, m: tokens, n: channels, k: intermediate, a: y, b: w, c: x)
        }
        measure("GEMM TN (dY^T X)", "[\(intermediate)x\(tokens)]x[\(tokens)x\(channels)]", elements: intermediate * channels, flops: gemmFlops) {
            GEMM.multiply(transposeA: true, transposeB: false, m: intermediate, n: channels, k: tokens, a: y, b: x, beta: 1, c: w)
        }

        // RMSNorm.
        let norm = buffer(tokens * channels), inverse = buffer(tokens), weight = buffer(channels)
        let dNorm = buffer(tokens * channels), dWeight = buffer(channels)
        measure("RMSNorm.forward", "[\(tokens)x\(channels)]", elements: tokens * channels) {
            RMSNorm.forward(output: norm, inverseRMS: inverse, input: x, weight: weight, tokens: tokens, channels: channels, epsilon: 1e-5)
        }
        measure("RMSNorm.backward", "[\(tokens)x\(channels)]", elements: tokens * channels) {
            RMSNorm.backward(dInput: dNorm, dWeight: dWeight, dOutput: norm, input: x, weight: weight, inverseRMS: inverse,
                             tokens: tokens, channels: channels)
        }

        // SwiGLU.
        let gate = buffer(tokens * intermediate), up = buffer(tokens * intermediate), hidden = buffer(tokens * intermediate)
        let dGate = buffer(tokens * intermediate), dUp = buffer(tokens * intermediate)
        measure("SwiGLU.forward", "[\(tokens)x\(intermediate)]", elements: tokens * intermediate) {
            SwiGLU.forward(output: hidden, gate: gate, up: up, count: tokens * intermediate)
        }
        measure("SwiGLU.backward", "[\(tokens)x\(intermediate)]", elements: tokens * intermediate) {
            SwiGLU.backward(dGate: dGate, dUp: dUp, dOutput: hidden, gate: gate, up: up, count: tokens * intermediate)
        }

        // Residual add.
        measure("Elementwise.accumulate", "[\(tokens)x\(channels)]", elements: tokens * channels) {
            Elementwise.accumulate(into: norm, from: x, count: tokens * channels)
        }

        // Rotary embedding on q.
        let q = buffer(tokens * heads * headDim, std: 0.5), k = buffer(tokens * kvHeads * headDim, std: 0.5)
        let v = buffer(tokens * kvHeads * headDim)
        let rope = RotaryEmbedding(headDim: headDim, maxPositions: sequenceLength, theta: 10_000)
        let positions = UnsafeMutablePointer<Int32>.allocate(capacity: tokens)
        for t in 0..<tokens { positions[t] = Int32(t % sequenceLength) }
        measure("RotaryEmbedding.apply", "[\(tokens)x\(heads)x\(headDim)]", elements: tokens * heads * headDim) {
            rope.apply(inPlace: q, positions: positions, tokens: tokens, heads: heads)
        }

        // Attention; ns/element is per probability element kept (B*H*S*(S+1)/2).
        let lengths = UnsafeMutablePointer<Int32>.allocate(capacity: batch)
        for b in 0..<batch { lengths[b] = Int32(sequenceLength) }
        let probabilities = UnsafeMutablePointer<Float>.allocate(capacity: batch * heads * sequenceLength * sequenceLength)
        let attentionOutput = buffer(tokens * heads * headDim)
        let dQ = buffer(tokens * heads * headDim), dK = buffer(tokens * kvHeads * headDim), dV = buffer(tokens * kvHeads * headDim)
        let causalElements = batch * heads * sequenceLength * (sequenceLength + 1) / 2
        let attentionFlops = 4.0 * Double(causalElements) * Double(headDim)
        let attentionShape = "B\(batch) S\(sequenceLength) H\(heads)/\(kvHeads) D\(headDim)"
        measure("Attention.forward", attentionShape, elements: causalElements, flops: attentionFlops) {
            Attention.forward(output: attentionOutput, probabilities: probabilities, q: q, k: k, v: v, lengths: lengths,
                              batch: batch, sequenceLength: sequenceLength, heads: heads, kvHeads: kvHeads, headDim: headDim)
        }
        measure("Attention.backward", attentionShape, elements: causalElements, flops: 2 * attentionFlops) {
            Attention.backward(dQ: dQ, dK: dK, dV: dV, dOutput: attentionOutput, q: q, k: k, v: v, probabilities: probabilities,
                               lengths: lengths, batch: batch, sequenceLength: sequenceLength, heads: heads, kvHeads: kvHeads, headDim: headDim)
        }

        // Log-softmax + gather over the vocabulary (backward overwrites the logits, so refill).
        let logits = buffer(logitRows * vocab, std: 2), logitsCopy = buffer(logitRows * vocab)
        let targets = UnsafeMutablePointer<Int32>.allocate(capacity: logitRows)
        for t in 0..<logitRows { targets[t] = Int32(t * 7919 % vocab) }
        let logProbs = buffer(logitRows), logSumExp = buffer(logitRows), dLogProbs = buffer(logitRows)
        measure("LogSoftmaxGather.forward", "[\(logitRows)x\(vocab)]", elements: logitRows * vocab) {
            LogSoftmaxGather.forward(logProbs: logProbs, logSumExp: logSumExp, logits: logits, targets: targets, tokens: logitRows, vocab: vocab)
        }
        measure("LogSoftmaxGather.backward", "[\(logitRows)x\(vocab)] (+copy)", elements: logitRows * vocab) {
            Elementwise.copy(output: logitsCopy, input: logits, count: logitRows * vocab)
            LogSoftmaxGather.backward(logitsToGradient: logitsCopy, dLogProbs: dLogProbs, logSumExp: logSumExp, targets: targets,
                                      tokens: logitRows, vocab: vocab)
        }

        for p in [x, w, y, norm, inverse, weight, dNorm, dWeight, gate, up, hidden, dGate, dUp, q, k, v,
                  probabilities, attentionOutput, dQ, dK, dV, logits, logitsCopy, logProbs, logSumExp, dLogProbs] {
            p.deallocate()
        }
        positions.deallocate(); lengths.deallocate(); targets.deallocate()
        return rows
    }
}

/// `value` with `digits` decimals.
private func format(_ value: Double, digits: Int) -> String {
    String(format: "%.\(digits)f", value)
}
