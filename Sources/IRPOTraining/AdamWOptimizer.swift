import Foundation
import IRPOTensor

/// AdamW hyper-parameters (Loshchilov & Hutter; PyTorch's `torch.optim.AdamW` defaults except
/// the weight decay, which TRL's trainers default to 0).
public struct AdamWConfiguration: Codable, Sendable, Equatable {
    /// beta1, the first-moment decay.
    public var beta1: Float = 0.9
    /// beta2, the second-moment decay.
    public var beta2: Float = 0.999
    /// epsilon added to the denominator.
    public var epsilon: Float = 1e-8
    /// Decoupled weight decay (applied as p *= 1 - lr * weightDecay).
    public var weightDecay: Float = 0

    /// Defaulted init.
    public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// Checks the ranges; the message names the bad value.
    public func validate() throws {
        guard beta1 >= 0, beta1 < 1 else { throw TrainingError.invalidConfiguration("adam beta1 \(beta1) must be in [0, 1)") }
        guard beta2 >= 0, beta2 < 1 else { throw TrainingError.invalidConfiguration("adam beta2 \(beta2) must be in [0, 1)") }
        guard epsilon > 0, epsilon.isFinite else { throw TrainingError.invalidConfiguration("adam epsilon \(epsilon) must be > 0") }
        guard weightDecay >= 0, weightDecay.isFinite else {
            throw TrainingError.invalidConfiguration("weight decay \(weightDecay) must be >= 0")
        }
    }
}

/// AdamW over one flat Float parameter buffer: first and second moments with the parameters'
/// layout, decoupled weight decay and bias correction, computed exactly as PyTorch's
/// single-tensor `AdamW` (`foreach=False`) does in fp32:
///
///     p *= 1 - lr * wd;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
///     p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
///
/// The update is elementwise, split across `Parallel.threadCount` workers, so its result does
/// not depend on the thread count.
public final class AdamWOptimizer {
    /// The hyper-parameters.
    public let configuration: AdamWConfiguration
    /// Number of parameters.
    public let count: Int
    /// Number of updates done so far (t of the bias correction after the next update is step + 1).
    public private(set) var step: Int = 0
    /// First moments, same layout as the parameters.
    public let firstMoment: UnsafeMutableBufferPointer<Float>
    /// Second moments, same layout as the parameters.
    public let secondMoment: UnsafeMutableBufferPointer<Float>

    /// Zero moments for `count` parameters.
    public init(count: Int, configuration: AdamWConfiguration = AdamWConfiguration()) {
        precondition(count >= 0, "AdamW needs a non-negative parameter count")
        self.configuration = configuration
        self.count = count
        firstMoment = .allocate(capacity: count)
        firstMoment.initialize(repeating: 0)
        secondMoment = .allocate(capacity: count)
        secondMoment.initialize(repeating: 0)
    }

    deinit {
        firstMoment.deallocate()
        secondMoment.deallocate()
    }

    /// Restores the step counter (the moments are restored by writing into the buffers).
    public func restore(step: Int) {
        precondition(step >= 0, "AdamW step must be >= 0")
        self.step = step
    }

    /// One update of `parameters` (count elements) from `gradients` with learning rate `lr`.
    public func update(parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, learningRate lr: Float) {
        step += 1
        let b1 = configuration.beta1, b2 = configuration.beta2, eps = configuration.epsilon
        // Bias corrections as PyTorch computes them (Python floats = Double, then used in fp32 ops).
        let correction1 = 1 - Foundation.pow(Double(b1), Double(step))
        let correction2 = 1 - Foundation.pow(Double(b2), Double(step))
        let stepSize = Float(Double(lr) / correction1)
        let inverseSqrtCorrection2 = Float(1 / correction2.squareRoot())
        let decay = 1 - lr * configuration.weightDecay
        let oneMinusB1 = 1 - b1, oneMinusB2 = 1 - b2
        let m = firstMoment.baseAddress ?? parameters
        let v = secondMoment.baseAddress ?? parameters
        Parallel.forEachChunk(count: count, minimumChunk: 1 << 15) { range in
            var index = range.lowerBound
            while index + 8 <= range.upperBound {
                let gv = UnsafeRawPointer(gradients + index).loadUnaligned(as: SIMD8<Float>.self)
                var mv = UnsafeRawPointer(m + index).loadUnaligned(as: SIMD8<Float>.self)
                var vv = UnsafeRawPointer(v + index).loadUnaligned(as: SIMD8<Float>.self)
                var pv = UnsafeRawPointer(parameters + index).loadUnaligned(as: SIMD8<Float>.self)
                pv = pv * decay
                mv = mv * b1 + gv * oneMinusB1
                vv = vv * b2 + (gv * gv) * oneMinusB2
                var root = SIMD8<Float>()
                for lane in 0..<8 { root[lane] = vv[lane].squareRoot() }
                let denominator = root * inverseSqrtCorrection2 + eps
                pv = pv - stepSize * (mv / denominator)
                UnsafeMutableRawPointer(m + index).storeBytes(of: mv, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(v + index).storeBytes(of: vv, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(parameters + index).storeBytes(of: pv, as: SIMD8<Float>.self)
                index += 8
            }
            while index < range.upperBound {
                let gradient = gradients[index]
                parameters[index] *= decay
                m[index] = m[index] * b1 + gradient * oneMinusB1
                v[index] = v[index] * b2 + (gradient * gradient) * oneMinusB2
                let denominator = v[index].squareRoot() * inverseSqrtCorrection2 + eps
                parameters[index] = parameters[index] - stepSize * (m[index] / denominator)
                index += 1
            }
        }
    }
}
