import Foundation
import IRPOTensor

/// Low-rank adapters for every adapted projection of a `LlamaModel`: the forward adds
/// `(alpha / r) B A x` to each target's output (see `LlamaModel.forward(_:adapters:...)`), the
/// backward gives their gradients while the base stays frozen, and `merge(into:)` folds them
/// into the base weights.
/// Unchecked Sendable: the references are immutable; the weights change only in optimizer steps, never while a pass reads them.
public final class LoRAAdapters: @unchecked Sendable {
    /// Rank, alpha, dropout and targets.
    public let configuration: LoRAConfiguration
    /// Where each matrix lives.
    public let layout: LoRALayout
    /// The adapter weights (the optimizer updates them in place).
    public let weights: LoRABuffer
    /// The shapes of the model the adapters belong to.
    public let modelConfiguration: LlamaConfiguration
    /// That model's parameter layout.
    public let baseLayout: ParameterLayout
    /// With dropout, the stream the training passes draw their masks from (with each part's
    /// token ids); set it before each training forward so every step draws new masks
    /// (`LoRATrainingModel` derives it from the current adapter weights). Do not change it
    /// between a forward and its backward.
    public var dropoutStream: UInt64 = 0

    /// Zero adapters (B = 0 and A = 0) of `lora` for a model with `model`'s shapes.
    /// - Throws: `ModelError.invalidConfiguration` if `lora` is invalid or the adapters would not
    ///   fit in memory.
    public init(model: LlamaConfiguration, lora: LoRAConfiguration) throws {
        try lora.validate()
        guard let count = LoRALayout.checkedCount(model: model, lora: lora), count <= ModelLimits.maxParameters else {
            throw ModelError.invalidConfiguration(key: "lora.rank", value: String(lora.rank),
                                                  reason: "gives more adapter weights than this engine allocates; lower the rank or adapt fewer projections")
        }
        self.configuration = lora
        self.modelConfiguration = model
        self.baseLayout = ParameterLayout(configuration: model)
        self.layout = LoRALayout(model: model, lora: lora)
        self.weights = LoRABuffer(layout: layout)
    }

    /// Adapters initialised as PEFT does by default: every `A` uniform in
    /// `[-1/sqrt(in), 1/sqrt(in))` (PyTorch's `kaiming_uniform_(a = sqrt(5))`, `nn.Linear`'s own
    /// initialisation) drawn in layout order from `seed`, every `B` zero, so the adapted model
    /// starts exactly at the base model.
    public convenience init(model: LlamaConfiguration, lora: LoRAConfiguration, seed: UInt64) throws {
        try self.init(model: model, lora: lora)
        var generator = SeededGenerator(seed: seed)
        for adapter in layout.adapters {
            let bound = 1 / Float(adapter.inputWidth).squareRoot()
            let a = weights.a(adapter)
            if let start = a.baseAddress {
                generator.fillUniform(start, count: a.count, low: -bound, high: bound)
            }
        }
    }

    /// Number of adapter weights.
    public var parameterCount: Int { layout.totalCount }

    /// `alpha / rank`.
    public var scale: Float { configuration.scale }

    /// Adds `(alpha / r) B A` to each adapted base weight of `parameters` (a model with the
    /// shapes these adapters were made for).
    public func merge(into parameters: ParameterBuffer) {
        precondition(parameters.layout == baseLayout,
                     "LoRAAdapters.merge needs the parameters of the model the adapters were made for")
        let r = layout.rank
        for adapter in layout.adapters {
            GEMM.multiply(transposeA: false, transposeB: false, m: adapter.outputWidth, n: adapter.inputWidth, k: r,
                          alpha: scale, a: weights.base + adapter.bOffset, b: weights.base + adapter.aOffset,
                          beta: 1, c: parameters.pointer(adapter.target.baseKind, layer: adapter.layer))
        }
    }
}
