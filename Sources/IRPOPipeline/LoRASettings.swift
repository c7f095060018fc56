import IRPOModel
import IRPOTasks

/// `training.lora`: train low-rank adapters on a frozen M_{t-1} instead of every weight.
///
/// Present (even as `{}`): each iteration trains new adapters and merges them into M_t, a plain
/// model folder; absent or null: full training.
public struct LoRASettings: Sendable, Equatable, Encodable {
    /// Rank r of every adapter.
    public var rank: Int = 16
    /// alpha; adapters are scaled by alpha / r.
    public var alpha: Double = 32
    /// Dropout on the adapters' input in training passes (PEFT's `lora_dropout`).
    public var dropout: Double = 0
    /// `all-linear` or some of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj.
    public var targetModules: [String] = ["all-linear"]

    /// Defaults: rank 16, alpha 32, no dropout, every linear projection of the decoder layers.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case rank, alpha, dropout
        case targetModules = "target_modules"
    }

    /// Reads the section; nil when the config has no `lora` key (or null).
    static func read(_ parent: inout ConfigReader, key: String) throws -> LoRASettings? {
        let present = parent.object[key].map { $0 != .null } ?? false
        var reader = try parent.section(key)
        guard present else { return nil }
        var settings = LoRASettings()
        settings.rank = try reader.int("rank", default: settings.rank)
        settings.alpha = try reader.double("alpha", default: settings.alpha)
        settings.dropout = try reader.double("dropout", default: settings.dropout)
        settings.targetModules = try reader.strings("target_modules", default: settings.targetModules)
        try reader.rejectUnknownKeys()
        return settings
    }

    /// The adapter shapes these settings describe.
    /// - Throws: `PipelineError` naming the `training.lora` key and value at fault.
    public func configuration() throws -> LoRAConfiguration {
        let names = ["all-linear"] + LoRATarget.allCases.map(\.rawValue)
        for name in targetModules where (try? LoRAConfiguration.parseTargets([name])) == nil {
            let hint = NameSuggestion.nearest(to: name, among: names).map { " (did you mean \"\($0)\"?)" } ?? ""
            throw PipelineError("config key `training.lora.target_modules` has value \"\(name)\", expected all-linear or some of \(names.dropFirst().joined(separator: ", "))\(hint); the LM head and embeddings take no adapters")
        }
        do {
            let configuration = LoRAConfiguration(rank: rank, alpha: alpha, dropout: dropout,
                                                  targets: try LoRAConfiguration.parseTargets(targetModules))
            try configuration.validate()
            return configuration
        } catch let error as ModelError {
            if case let .invalidConfiguration(key, value, reason) = error {
                throw PipelineError("config key `training.\(key)` has value \(value): \(reason)")
            }
            throw PipelineError("config section `training.lora`: \(error)")
        }
    }
}
