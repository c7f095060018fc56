import IRPOModel
import IRPOTasks

/// `training.lora`: train low-rank adapters on a frozen M_{t-1} instead of every weight.
///
/// Present (even as `{}`): each iteration trains new adapters and merges them into M_t, a plain
/// model folder; absent or null: full training.
public struct LoRASettings: Sendable, Equatable {
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

    /// The section's keys, in the order they are documented.
    static var schema: ConfigSchema<LoRASettings> {
        ConfigSchema(keys: [
            .int("rank", \.rank, 1...LoRAConfiguration.maximumRank, "rank r of every adapter"),
            .double("alpha", \.alpha, .positive, "adapters are scaled by alpha / r"),
            .double("dropout", \.dropout, ConfigNumberRule("a number in [0, 1)") { $0 >= 0 && $0 < 1 },
                    "dropout on the adapters' input in training passes (PEFT's `lora_dropout`; the base product always sees the whole input, and reference and evaluation passes use none). One mask is drawn per group input and shared by its adapters (q/k/v; gate/up), where PEFT draws one per module; masks are a hash of the current adapter weights, the tokens and the position, so runs stay reproducible and resumable"),
            .strings("target_modules", \.targetModules, type: "string or list", default: "`all-linear`",
                     "`all-linear` (q, k, v, o, gate, up and down of every layer; like PEFT's, it leaves out the LM head) or some of `q_proj`, `k_proj`, `v_proj`, `o_proj`, `gate_proj`, `up_proj`, `down_proj`"),
        ], rules: { settings, _ in _ = try settings.configuration() })
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
