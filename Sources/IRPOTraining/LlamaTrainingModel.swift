import Foundation
import IRPOModel

/// Adapts `IRPOModel.LlamaModel` to the trainer: owns the gradient buffer (same layout as the
/// parameters) and the last training `ForwardPass` until its backward.
public final class LlamaTrainingModel: TrainableLanguageModel {
    /// The wrapped model.
    public let model: LlamaModel
    /// Gradients with the model's layout, allocated on first use (a model that only scores, such
    /// as the frozen reference, never holds them).
    public private(set) lazy var gradients = ParameterBuffer(layout: model.layout)
    /// Shards each batch is split into (`LlamaModel.forward(_:savingForBackward:shards:)`): they
    /// run at the same time when there are threads for them. Results depend on this number, not
    /// on the thread count.
    public let shards: Int
    /// Gradient checkpointing: training passes keep only each layer's input and the backward
    /// recomputes the rest (`LlamaModel.forward(_:savingForBackward:recomputingLayers:shards:adapters:)`).
    /// Same gradients, less memory, about one more forward through the layers per step.
    public let recomputesLayers: Bool
    private var pendingPass: ShardedForwardPass?

    /// Wraps `model` with zero gradients; batches are split into `shards` parts, and with
    /// `recomputingLayers` each layer's activations are recomputed in the backward.
    public init(_ model: LlamaModel, shards: Int = LlamaModel.defaultTrainingShards, recomputingLayers: Bool = false) {
        precondition(shards >= 1, "LlamaTrainingModel needs at least one shard")
        self.model = model
        self.shards = shards
        self.recomputesLayers = recomputingLayers
    }

    /// Loads a model folder (see `LlamaModel.loadModel(path:)`) and wraps it.
    public convenience init(path: String) throws {
        self.init(try LlamaModel.loadModel(path: path))
    }

    public var parameterCount: Int { model.parameterCount }
    public var parameterPointer: UnsafeMutablePointer<Float> {
        precondition(model.frozenProjections == nil, "a model with frozen (quantised) projections only scores; train adapters on it with LoRATrainingModel")
        return model.parameters.base
    }
    public var gradientPointer: UnsafeMutablePointer<Float> { gradients.base }

    public func zeroGradients() { gradients.zero() }

    public func forward(_ sequences: [ScoredSequence]) throws -> [Double] {
        pendingPass = nil
        let pass = try model.forward(Self.batch(sequences), savingForBackward: true, recomputingLayers: recomputesLayers,
                                   shards: shards)
        pendingPass = pass
        return pass.sumLogProbs.map(Double.init)
    }

    public func backward(dLogProbs: [Float]) throws {
        guard let pass = pendingPass else {
            throw TrainingError.model("backward called without a pending training forward")
        }
        pendingPass = nil
        model.backward(pass, dSumLogProbs: dLogProbs, into: gradients)
    }

    public func logProbs(_ sequences: [ScoredSequence]) throws -> [Double] {
        try model.forward(Self.batch(sequences), savingForBackward: false, shards: shards).sumLogProbs.map(Double.init)
    }

    public func save(to directory: URL) throws {
        try model.save(to: directory, dtype: .f32)
    }

    static func batch(_ sequences: [ScoredSequence]) -> TokenBatch {
        TokenBatch(sequences: sequences.map(\.tokens),
                   scoreMasks: sequences.map { sequence in sequence.tokens.indices.map { $0 >= sequence.scoredFrom } })
    }
}
