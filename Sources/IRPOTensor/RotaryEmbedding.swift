import Foundation

/// Rotary position embeddings in Hugging Face's rotate-half layout: within each head vector of
/// `headDim` floats, element `i` pairs with element `i + headDim/2` and the pair is rotated by
/// `position * inverseFrequency[i]`.
///
/// Frequencies follow transformers exactly: `inv_freq[i] = 1 / theta^(2i / headDim)` computed in
/// Float, optionally rescaled by the llama3 `rope_scaling` rule; angles are `Float(position) *
/// inv_freq[i]` rounded to Float, as torch does; their cosines and sines are tabulated for
/// positions `0..<maxPositions`.
public struct RotaryEmbedding: Sendable {
    /// The llama3 `rope_scaling` parameters (`rope_type: "llama3"` in config.json).
    public struct Llama3Scaling: Sendable, Equatable, Codable {
        /// `factor`: how much the low frequencies are slowed down.
        public var factor: Float
        /// `low_freq_factor`.
        public var lowFrequencyFactor: Float
        /// `high_freq_factor`.
        public var highFrequencyFactor: Float
        /// `original_max_position_embeddings`.
        public var originalMaxPositions: Int

        /// Memberwise initializer (defaults are Llama 3.1's values).
        public init(factor: Float = 8, lowFrequencyFactor: Float = 1, highFrequencyFactor: Float = 4, originalMaxPositions: Int = 8192) {
            self.factor = factor
            self.lowFrequencyFactor = lowFrequencyFactor
            self.highFrequencyFactor = highFrequencyFactor
            self.originalMaxPositions = originalMaxPositions
        }
    }

    /// Floats per head vector (even).
    public let headDim: Int
    /// Positions `0..<maxPositions` are tabulated.
    public let maxPositions: Int
    /// `rope_theta`.
    public let theta: Float
    /// llama3 scaling, if any.
    public let scaling: Llama3Scaling?
    /// [headDim / 2] inverse frequencies after scaling.
    public let inverseFrequencies: [Float]
    /// [maxPositions, headDim / 2] cosines of the angles.
    public let cosines: [Float]
    /// [maxPositions, headDim / 2] sines of the angles.
    public let sines: [Float]

    /// Tabulates the rotation angles. `headDim` must be even and positive, `maxPositions >= 1`,
    /// `theta > 0` (the model configuration validates values from files before calling this).
    public init(headDim: Int, maxPositions: Int, theta: Float, scaling: Llama3Scaling? = nil) {
        precondition(headDim > 0 && headDim % 2 == 0, "RotaryEmbedding: headDim \(headDim) must be even and positive")
        precondition(maxPositions >= 1, "RotaryEmbedding: maxPositions must be >= 1")
        precondition(theta > 0, "RotaryEmbedding: theta must be positive")
        self.headDim = headDim
        self.maxPositions = maxPositions
        self.theta = theta
        self.scaling = scaling
        let half = headDim / 2
        var frequencies = (0..<half).map { i -> Float in
            1 / Foundation.pow(theta, Float(2 * i) / Float(headDim))
        }
        if let scaling {
            frequencies = frequencies.map { Self.llama3Scaled($0, scaling) }
        }
        inverseFrequencies = frequencies
        var cosines = [Float](repeating: 0, count: maxPositions * half)
        var sines = [Float](repeating: 0, count: maxPositions * half)
        for position in 0..<maxPositions {
            for i in 0..<half {
                let angle = Double(Float(position) * frequencies[i])
                cosines[position * half + i] = Float(Foundation.cos(angle))
                sines[position * half + i] = Float(Foundation.sin(angle))
            }
        }
        self.cosines = cosines
        self.sines = sines
    }

    /// transformers' `_compute_llama3_parameters` for one inverse frequency, in Float.
    static func llama3Scaled(_ inverseFrequency: Float, _ s: Llama3Scaling) -> Float {
        let oldContext = Float(s.originalMaxPositions)
        let lowFrequencyWavelength = oldContext / s.lowFrequencyFactor
        let highFrequencyWavelength = oldContext / s.highFrequencyFactor
        let wavelength = 2 * Float.pi / inverseFrequency
        var scaled = wavelength > lowFrequencyWavelength ? inverseFrequency / s.factor : inverseFrequency
        let isMedium = !(wavelength < highFrequencyWavelength) && !(wavelength > lowFrequencyWavelength)
        if isMedium {
            let smooth = (oldContext / wavelength - s.lowFrequencyFactor) / (s.highFrequencyFactor - s.lowFrequencyFactor)
            scaled = (1 - smooth) * scaled / s.factor + smooth * scaled
        }
        return scaled
    }

    /// Rotates every head vector of `x` in place by its token's angles.
    /// - Parameters:
    ///   - x: [tokens, heads, headDim], rotated in place.
    ///   - positions: [tokens], each in `0..<maxPositions`.
    public func apply(inPlace x: UnsafeMutablePointer<Float>, positions: UnsafePointer<Int32>, tokens: Int, heads: Int) {
        rotate(x, positions: positions, tokens: tokens, heads: heads, sineSign: 1)
    }

    /// Backward of `apply`: rotates the gradient `dX` in place by the opposite angles (the
    /// rotation is orthogonal), turning d(rotated) into d(unrotated).
    /// - Parameters:
    ///   - dX: [tokens, heads, headDim], rotated in place.
    ///   - positions: [tokens], as given to `apply`.
    public func applyBackward(inPlace dX: UnsafeMutablePointer<Float>, positions: UnsafePointer<Int32>, tokens: Int, heads: Int) {
        rotate(dX, positions: positions, tokens: tokens, heads: heads, sineSign: -1)
    }

    private func rotate(_ x: UnsafeMutablePointer<Float>, positions: UnsafePointer<Int32>, tokens: Int, heads: Int, sineSign: Float) {
        let half = headDim / 2
        let headDim = headDim
        for t in 0..<tokens {
            precondition(positions[t] >= 0 && Int(positions[t]) < maxPositions,
                         "RotaryEmbedding: position \(positions[t]) outside 0..<\(maxPositions)")
        }
        cosines.withUnsafeBufferPointer { cosineBuffer in
            sines.withUnsafeBufferPointer { sineBuffer in
                guard let cosBase = cosineBuffer.baseAddress, let sinBase = sineBuffer.baseAddress else { return }
                Parallel.forEachChunk(count: tokens, minimumChunk: max(1, 4096 / max(1, heads * headDim))) { range in
                    let sign = SIMD8<Float>(repeating: sineSign)
                    for t in range {
                        let cosRow = cosBase + Int(positions[t]) * half
                        let sinRow = sinBase + Int(positions[t]) * half
                        for h in 0..<heads {
                            let first = x + (t * heads + h) * headDim
                            let second = first + half
                            var i = 0
                            while i < half {
                                let n = Swift.min(8, half - i)
                                let full = n == 8
                                let c = full ? VectorMath.load(cosRow + i) : VectorMath.load(cosRow + i, count: n)
                                let s = (full ? VectorMath.load(sinRow + i) : VectorMath.load(sinRow + i, count: n)) * sign
                                let x1 = full ? VectorMath.load(first + i) : VectorMath.load(UnsafePointer(first + i), count: n)
                                let x2 = full ? VectorMath.load(second + i) : VectorMath.load(UnsafePointer(second + i), count: n)
                                // first' = x1 cos - x2 sin ; second' = x2 cos + x1 sin
                                let y1 = x1 * c - x2 * s
                                let y2 = x2 * c + x1 * s
                                if full {
                                    VectorMath.store(y1, first + i)
                                    VectorMath.store(y2, second + i)
                                } else {
                                    VectorMath.store(y1, first + i, count: n)
                                    VectorMath.store(y2, second + i, count: n)
                                }
                                i += 8
                            }
                        }
                    }
                }
            }
        }
    }
}
