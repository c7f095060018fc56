import Foundation
import IRPOTensor

/// A Llama-family decoder (llama, mistral, qwen2, SmolLM): configuration plus one flat
/// parameter buffer.
///
/// The training forward (`forward(_:)`) returns log-probabilities and a `ForwardPass` holding
/// exactly what `backward(_:dSumLogProbs:into:)` needs; see `LlamaModel+Forward.swift`.
/// Passes may run on several threads at once (the sharded passes do), but not while the
/// parameters change.
public final class LlamaModel: @unchecked Sendable {
    /// The architecture.
    public let configuration: LlamaConfiguration
    /// Where each tensor lives in `parameters`.
    public let layout: ParameterLayout
    /// All weights, laid out by `layout`.
    public let parameters: ParameterBuffer
    /// The raw `config.json` this model was loaded from, if any; `save(to:)` keeps its keys
    /// that this engine does not model (pad token, chat settings, ...).
    public var sourceConfigurationJSON: Data?

    private var rotaryCache: RotaryEmbedding?
    private let rotaryLock = NSLock()
    /// Activation buffers of finished passes, reused by the next pass of the same shapes.
    let bufferPool = BufferPool()
    /// Gradient buffers for shards after the first of a sharded backward, kept between steps.
    var shardGradientCache: [ParameterBuffer] = []
    let shardGradientLock = NSLock()

    /// A model with zero weights (fill them with `parameters.initializeRandomly` or a loader).
    /// - Throws: `ModelError.invalidConfiguration` if `configuration.validate()` fails.
    public init(configuration: LlamaConfiguration) throws {
        try configuration.validate()
        self.configuration = configuration
        self.layout = ParameterLayout(configuration: configuration)
        self.parameters = ParameterBuffer(layout: layout)
        // The forward and backward passes multiply adjacent q/k/v and gate/up blocks as one matrix.
        for layer in 0..<configuration.layerCount {
            precondition(layout.offset(.keyWeight, layer: layer) == layout.offset(.queryWeight, layer: layer) + configuration.queryWidth * configuration.hiddenSize
                && layout.offset(.valueWeight, layer: layer) == layout.offset(.keyWeight, layer: layer) + configuration.keyValueWidth * configuration.hiddenSize
                && layout.offset(.upWeight, layer: layer) == layout.offset(.gateWeight, layer: layer) + configuration.intermediateSize * configuration.hiddenSize,
                "ParameterKind order must keep q/k/v and gate/up weights adjacent")
            if configuration.attentionBias {
                precondition(layout.offset(.keyBias, layer: layer) == layout.offset(.queryBias, layer: layer) + configuration.queryWidth
                    && layout.offset(.valueBias, layer: layer) == layout.offset(.keyBias, layer: layer) + configuration.keyValueWidth,
                    "ParameterKind order must keep the q/k/v biases adjacent")
            }
        }
    }

    /// A model initialised as transformers does (normal(0, `initializer_range`) weights, unit
    /// norms, zero biases), reproducibly from `seed`.
    public convenience init(configuration: LlamaConfiguration, seed: UInt64) throws {
        try self.init(configuration: configuration)
        parameters.initializeRandomly(seed: seed, std: Float(configuration.initializerRange))
    }

    /// Frees the activation and shard-gradient buffers kept for reuse between passes (they are
    /// otherwise kept after a pass ends, so a training loop does not page-fault fresh memory
    /// each step).
    public func releaseWorkspace() {
        bufferPool.drain()
        shardGradientLock.withLock { shardGradientCache = [] }
    }

    /// Number of parameters (tied embeddings counted once).
    public var parameterCount: Int { layout.totalCount }

    /// Rotary tables covering positions `0..<positions` (rebuilt larger on demand).
    func rotary(covering positions: Int) -> RotaryEmbedding {
        rotaryLock.lock()
        defer { rotaryLock.unlock() }
        if let cached = rotaryCache, cached.maxPositions >= positions { return cached }
        var size = 64
        while size < positions { size *= 2 }
        let c = configuration
        let scaling = c.ropeScaling.map {
            RotaryEmbedding.Llama3Scaling(
                factor: Float($0.factor), lowFrequencyFactor: Float($0.lowFrequencyFactor),
                highFrequencyFactor: Float($0.highFrequencyFactor), originalMaxPositions: $0.originalMaxPositionEmbeddings)
        }
        let rotary = RotaryEmbedding(headDim: c.headDimension, maxPositions: size, theta: Float(c.ropeTheta), scaling: scaling)
        rotaryCache = rotary
        return rotary
    }
}
