import Foundation
import IRPOTensor

/// A Llama-family decoder (llama, mistral, qwen2, SmolLM): configuration plus one flat
/// parameter buffer.
///
/// The training forward (`forward(_:)`) returns log-probabilities and a `ForwardPass` holding
/// exactly what `backward(_:dSumLogProbs:into:)` needs; see `LlamaModel+Forward.swift`.
/// Passes may run on several threads at once (the sharded passes do), but not while the
/// parameters change.
/// Unchecked Sendable: passes only read the parameters, and parameters change only between passes (the trainer's step).
public final class LlamaModel: @unchecked Sendable {
    /// The architecture.
    public let configuration: LlamaConfiguration
    /// Every tensor of the architecture and where it lives in a full parameter buffer (the
    /// layout of gradients, and of `parameters` unless the projections are frozen).
    public let layout: ParameterLayout
    /// The float weights: every tensor of `layout`, or, with `frozenProjections`, every tensor
    /// except the layers' linear projections.
    public let parameters: ParameterBuffer
    /// The layers' projections kept in their stored (quantised) types for a frozen base, or nil
    /// when every weight is a float in `parameters`. A model with frozen projections runs
    /// forward passes and backward passes to its inputs (LoRA training), but cannot be trained
    /// itself, decoded from, or saved without `dequantized()`.
    public let frozenProjections: FrozenProjections?
    /// The raw `config.json` this model was loaded from, if any; `save(to:)` keeps its keys
    /// that this engine does not model (pad token, chat settings, ...).
    public package(set) var sourceConfigurationJSON: Data?

    private var rotaryCache: RotaryEmbedding?
    private let rotaryLock = NSLock()
    /// Activation buffers of finished passes, reused by the next pass of the same shapes.
    let bufferPool = BufferPool()
    /// Gradient buffers for shards after the first of a sharded backward, kept between steps.
    var shardGradientCache: [ParameterBuffer] = []
    let shardGradientLock = NSLock()

    /// A model with zero weights (fill them with `parameters.initializeRandomly` or a loader).
    /// With `frozenProjections`, the layers' projections are those matrices and `parameters`
    /// holds only the other tensors (embedding, norms, biases, LM head).
    /// - Throws: `ModelError.invalidConfiguration` if `configuration.validate()` fails.
    public init(configuration: LlamaConfiguration, frozenProjections: FrozenProjections? = nil) throws {
        try configuration.validate()
        self.configuration = configuration
        self.layout = ParameterLayout(configuration: configuration)
        self.frozenProjections = frozenProjections
        self.parameters = ParameterBuffer(layout: frozenProjections == nil
            ? layout : ParameterLayout(configuration: configuration, omitting: FrozenProjections.kinds))
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

    /// Number of parameters (tied embeddings counted once), frozen projections included.
    public var parameterCount: Int { layout.totalCount }

    /// The floats of `group`'s fused projection matrix in `layer` (q/k/v `[H*D + 2*Hkv*D, C]`,
    /// o, gate/up `[2I, C]`, down): the parameters themselves, or, for frozen projections, the
    /// matrices dequantised into `scratch` (`FrozenProjections.scratchCount` floats).
    func projection(_ group: LoRAGroup, layer: Int, scratch: UnsafeMutablePointer<Float>?) -> UnsafeMutablePointer<Float> {
        guard let frozenProjections else { return parameters.pointer(group.targets[0].baseKind, layer: layer) }
        guard let scratch else { preconditionFailure("frozen projections need a scratch buffer") }
        frozenProjections.dequantize(group, layer: layer, into: scratch)
        return scratch
    }

    /// The same model with every weight a float (frozen projections dequantised); `self` when
    /// it has none.
    public func dequantized() throws -> LlamaModel {
        guard let frozenProjections else { return self }
        let model = try LlamaModel(configuration: configuration)
        model.sourceConfigurationJSON = sourceConfigurationJSON
        for entry in parameters.layout.entries {
            _ = model.parameters.view(entry.kind, layer: entry.layer).update(fromContentsOf: UnsafeBufferPointer(parameters.view(entry.kind, layer: entry.layer)))
        }
        for layer in 0..<configuration.layerCount {
            for target in LoRATarget.allCases {
                frozenProjections.matrix(target, layer: layer).dequantize(into: model.parameters.pointer(target.baseKind, layer: layer))
            }
        }
        return model
    }

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
