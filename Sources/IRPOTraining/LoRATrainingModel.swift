import Foundation
import IRPOModel

/// Adapts a frozen `LlamaModel` plus trainable `LoRAAdapters` to the trainer: the trainer's
/// parameters, gradients and AdamW moments are the adapters' alone, so no buffer of the base
/// model's size is allocated for training.
///
/// `save(to:)` writes the merged model (`W + (alpha / r) B A`) as a plain Hugging Face folder,
/// with the adapters in PEFT's format in its `adapter/` subfolder (see `adapterFolderName`).
public final class LoRATrainingModel: TrainableLanguageModel {
    /// Name of the subfolder of a saved model that holds the PEFT adapter files.
    public static let adapterFolderName = "adapter"

    /// The frozen base model.
    public let model: LlamaModel
    /// The adapters being trained.
    public let adapters: LoRAAdapters
    /// The adapters' gradients.
    public let gradients: LoRABuffer
    /// Shards each batch is split into (as `LlamaTrainingModel.shards`).
    public let shards: Int
    /// Gradient checkpointing, as `LlamaTrainingModel.recomputesLayers`.
    public let recomputesLayers: Bool
    /// Written as `base_model_name_or_path` in the adapter's `adapter_config.json`.
    public let baseModelName: String?
    private var pendingPass: ShardedForwardPass?

    /// Trains `adapters` on the frozen `model`.
    /// - Throws: `TrainingError.invalidConfiguration` if the adapters were made for other shapes.
    public init(model: LlamaModel, adapters: LoRAAdapters, baseModelName: String? = nil,
                shards: Int = LlamaModel.defaultTrainingShards, recomputingLayers: Bool = false) throws {
        precondition(shards >= 1, "LoRATrainingModel needs at least one shard")
        guard adapters.baseLayout == model.layout else {
            throw TrainingError.invalidConfiguration("the LoRA adapters were made for a model of other shapes")
        }
        self.model = model
        self.adapters = adapters
        self.gradients = LoRABuffer(layout: adapters.layout)
        self.shards = shards
        self.recomputesLayers = recomputingLayers
        self.baseModelName = baseModelName
    }

    /// Loads the base model at `path` (see `LlamaModel.loadFrozenBase(path:)`: a quantised GGUF
    /// keeps its projections quantised) and trains adapters on it as
    /// `init(base:baseModelName:lora:seed:resumeFrom:recomputingLayers:)`.
    /// - Throws: `ModelError` for the model or adapter files, or an invalid `lora`.
    public convenience init(basePath: String, lora: LoRAConfiguration, seed: UInt64, resumeFrom: URL? = nil,
                            recomputingLayers: Bool = false) throws {
        try self.init(base: LlamaModel.loadFrozenBase(path: basePath), baseModelName: basePath, lora: lora, seed: seed,
                      resumeFrom: resumeFrom, recomputingLayers: recomputingLayers)
    }

    /// Trains on the frozen `model` new adapters of `lora` initialised from `seed` as PEFT does,
    /// or, with `resumeFrom`, the adapters saved in that model folder's `adapter/` subfolder (a
    /// checkpoint of an interrupted run).
    /// - Throws: `ModelError` for the adapter files, or an invalid `lora`.
    public convenience init(base model: LlamaModel, baseModelName: String?, lora: LoRAConfiguration, seed: UInt64,
                            resumeFrom: URL? = nil, recomputingLayers: Bool = false) throws {
        let adapters: LoRAAdapters
        if let resumeFrom {
            adapters = try LoRAAdapters.loadPEFT(from: resumeFrom.appendingPathComponent(Self.adapterFolderName),
                                                 model: model.configuration)
            guard adapters.configuration.rank == lora.rank, adapters.configuration.alpha == lora.alpha,
                  adapters.configuration.dropout == lora.dropout, adapters.configuration.targets == lora.targets else {
                throw TrainingError.checkpoint(path: resumeFrom.path,
                                               message: "holds adapters of rank \(adapters.configuration.rank), alpha \(adapters.configuration.alpha), dropout \(adapters.configuration.dropout), targets \(adapters.configuration.targets.map(\.rawValue)); pass the same LoRA settings to resume")
            }
        } else {
            adapters = try LoRAAdapters(model: model.configuration, lora: lora, seed: seed)
        }
        try self.init(model: model, adapters: adapters, baseModelName: baseModelName, recomputingLayers: recomputingLayers)
    }

    public var parameterCount: Int { adapters.parameterCount }
    public var parameterPointer: UnsafeMutablePointer<Float> { adapters.weights.base }
    public var gradientPointer: UnsafeMutablePointer<Float> { gradients.base }

    public func zeroGradients() { gradients.zero() }

    public func forward(_ sequences: [ScoredSequence]) throws -> [Double] {
        pendingPass = nil
        if adapters.configuration.dropout > 0 {
            // New masks every step, reproducibly: the stream is a hash of the current adapter
            // weights, which a resumed run restores bit for bit.
            adapters.dropoutStream = Self.weightHash(adapters.weights)
        }
        let pass = try model.forward(LlamaTrainingModel.batch(sequences), savingForBackward: true,
                                     recomputingLayers: recomputesLayers, shards: shards, adapters: adapters)
        pendingPass = pass
        return pass.sumLogProbs.map(Double.init)
    }

    public func backward(dLogProbs: [Float]) throws {
        guard let pass = pendingPass else {
            throw TrainingError.model("backward called without a pending training forward")
        }
        pendingPass = nil
        model.backward(pass, dSumLogProbs: dLogProbs, adapterGradients: gradients)
    }

    public func logProbs(_ sequences: [ScoredSequence]) throws -> [Double] {
        try model.forward(LlamaTrainingModel.batch(sequences), savingForBackward: false, shards: shards,
                          adapters: adapters).sumLogProbs.map(Double.init)
    }

    /// FNV-1a over the bit patterns of `buffer`.
    static func weightHash(_ buffer: LoRABuffer) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for index in 0..<buffer.count {
            hash = (hash ^ UInt64(buffer.base[index].bitPattern)) &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// The base model with the adapters merged in, as a new Float model (the base is unchanged;
    /// this holds one more copy of the weights while it lives). A quantised frozen base is
    /// dequantised first, so the merged weights are `dequantised W + (alpha / r) B A`.
    public func mergedModel() throws -> LlamaModel {
        let merged: LlamaModel
        if model.frozenProjections != nil {
            merged = try model.dequantized()
        } else {
            merged = try LlamaModel(configuration: model.configuration)
            merged.parameters.assign(from: model.parameters)
            merged.sourceConfigurationJSON = model.sourceConfigurationJSON
        }
        adapters.merge(into: merged.parameters)
        return merged
    }

    /// Writes the merged model (F32) into `directory` and the adapters into `directory/adapter/`:
    /// PEFT's two files and llama.cpp's adapter GGUF (`adapter.gguf`, for a GGUF of the base).
    public func save(to directory: URL) throws {
        // The pooled activations go first, so the Float copy of a quantised base does not
        // stack on them in peak memory (the next step allocates them again).
        if model.frozenProjections != nil { model.releaseWorkspace() }
        try mergedModel().save(to: directory, dtype: .f32)
        let adapterFolder = directory.appendingPathComponent(Self.adapterFolderName)
        try adapters.savePEFT(to: adapterFolder, baseModel: baseModelName)
        try adapters.saveLlamaCppGGUF(to: adapterFolder.appendingPathComponent(LoRAAdapters.llamaCppFileName))
    }
}
