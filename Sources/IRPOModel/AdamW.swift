import IRPOTensor

/// AdamW (decoupled weight decay, bias-corrected moments) over a flat parameter buffer.
///
/// The moments share the parameters' layout, so one loop updates every tensor. Minimal: the
/// trainer owns schedules, clipping and which tensors get weight decay.
public final class AdamW {
    /// Hyper-parameters.
    public struct Settings: Sendable, Equatable {
        /// Step size.
        public var learningRate: Float
        /// First-moment decay.
        public var beta1: Float
        /// Second-moment decay.
        public var beta2: Float
        /// Added to the root of the second moment.
        public var epsilon: Float
        /// Decoupled weight decay (applied as `p -= lr * weightDecay * p`).
        public var weightDecay: Float

        /// Settings with PyTorch's defaults except the learning rate.
        public init(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.01) {
            self.learningRate = learningRate
            self.beta1 = beta1
            self.beta2 = beta2
            self.epsilon = epsilon
            self.weightDecay = weightDecay
        }
    }

    /// Hyper-parameters (may change between steps, e.g. for a schedule).
    public var settings: Settings
    /// First moments.
    public let firstMoments: ParameterBuffer
    /// Second moments.
    public let secondMoments: ParameterBuffer
    /// Steps taken.
    public private(set) var step = 0

    /// An optimizer with zero moments for parameters laid out by `layout`.
    public init(layout: ParameterLayout, settings: Settings) {
        self.settings = settings
        firstMoments = ParameterBuffer(layout: layout)
        secondMoments = ParameterBuffer(layout: layout)
    }

    /// One update of `parameters` from `gradients` (both with this optimizer's layout).
    public func update(parameters: ParameterBuffer, gradients: ParameterBuffer) {
        precondition(parameters.layout == firstMoments.layout && gradients.layout == firstMoments.layout,
                     "AdamW.update needs buffers with the optimizer's layout")
        step += 1
        let s = settings
        let correction1 = 1 - Float(Double(s.beta1).power(step))
        let correction2 = 1 - Float(Double(s.beta2).power(step))
        let stepSize = s.learningRate / correction1
        let decay = 1 - s.learningRate * s.weightDecay
        let inverseSqrtCorrection2 = 1 / correction2.squareRoot()
        let p = SendablePointer(parameters.base), g = SendablePointer(gradients.base)
        let m = SendablePointer(firstMoments.base), v = SendablePointer(secondMoments.base)
        Parallel.forEachChunk(count: parameters.count, minimumChunk: 16384) { range in
            let b1 = SIMD8<Float>(repeating: s.beta1), b2 = SIMD8<Float>(repeating: s.beta2)
            let c1 = 1 - b1, c2 = 1 - b2
            let eps = SIMD8<Float>(repeating: s.epsilon), size = SIMD8<Float>(repeating: stepSize)
            let keep = SIMD8<Float>(repeating: decay), root = SIMD8<Float>(repeating: inverseSqrtCorrection2)
            var i = range.lowerBound
            while i + 8 <= range.upperBound {
                let gradient = UnsafeRawPointer(g.pointer + i).loadUnaligned(as: SIMD8<Float>.self)
                var first = UnsafeRawPointer(m.pointer + i).loadUnaligned(as: SIMD8<Float>.self)
                var second = UnsafeRawPointer(v.pointer + i).loadUnaligned(as: SIMD8<Float>.self)
                var value = UnsafeRawPointer(p.pointer + i).loadUnaligned(as: SIMD8<Float>.self)
                first = b1 * first + c1 * gradient
                second = b2 * second + c2 * gradient * gradient
                var denominator = SIMD8<Float>()
                for lane in 0..<8 { denominator[lane] = second[lane].squareRoot() }
                denominator = denominator * root + eps
                value = value * keep - size * first / denominator
                UnsafeMutableRawPointer(m.pointer + i).storeBytes(of: first, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(v.pointer + i).storeBytes(of: second, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(p.pointer + i).storeBytes(of: value, as: SIMD8<Float>.self)
                i += 8
            }
            while i < range.upperBound {
                let gradient = g.pointer[i]
                m.pointer[i] = s.beta1 * m.pointer[i] + (1 - s.beta1) * gradient
                v.pointer[i] = s.beta2 * v.pointer[i] + (1 - s.beta2) * gradient * gradient
                let denominator = v.pointer[i].squareRoot() * inverseSqrtCorrection2 + s.epsilon
                p.pointer[i] = p.pointer[i] * decay - stepSize * m.pointer[i] / denominator
                i += 1
            }
        }
    }
}

private extension Double {
    func power(_ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<exponent { result *= self }
        return result
    }
}
