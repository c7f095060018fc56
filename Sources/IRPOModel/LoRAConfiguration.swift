import Foundation

/// The shape of low-rank adapters: `W x + (alpha / rank) B A x` on each target projection, with
/// `A` `[rank, in]` and `B` `[out, rank]` (PEFT's LoRA without rsLoRA or DoRA).
public struct LoRAConfiguration: Equatable, Sendable {
    /// Largest rank accepted (far above any useful adapter; bounds the memory a config can ask for).
    public static let maximumRank = 4096

    /// The rank r of every adapter.
    public var rank: Int
    /// alpha; the adapter output is scaled by `alpha / rank`.
    public var alpha: Double
    /// Dropout probability on the adapters' input (PEFT's `lora_dropout`), applied in training
    /// passes only (see `LoRADropout`).
    public var dropout: Double
    /// The projections that get adapters, in layout order without repeats.
    public var targets: [LoRATarget]

    /// Adapters of `rank` with `alpha` on `targets` (default: every linear projection of the
    /// decoder layers, as PEFT's `all-linear`, which leaves out the LM head).
    public init(rank: Int, alpha: Double, dropout: Double = 0, targets: [LoRATarget] = LoRATarget.allCases) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targets = Array(Set(targets)).sorted()
    }

    /// `alpha / rank` as the products use it.
    public var scale: Float { Float(alpha / Double(max(1, rank))) }

    /// Whether `target` has an adapter.
    public func adapts(_ target: LoRATarget) -> Bool { targets.contains(target) }

    /// Checks the values; the error names the key and what to do.
    /// - Throws: `ModelError.invalidConfiguration`.
    public func validate() throws {
        guard rank >= 1, rank <= Self.maximumRank else {
            throw ModelError.invalidConfiguration(key: "lora.rank", value: String(rank),
                                                  reason: "must be between 1 and \(Self.maximumRank) (8 to 64 is usual)")
        }
        guard alpha.isFinite, alpha > 0, alpha <= 1_000_000 else {
            throw ModelError.invalidConfiguration(key: "lora.alpha", value: String(alpha),
                                                  reason: "must be a positive number (often 2 x rank)")
        }
        guard dropout.isFinite, dropout >= 0, dropout < 1 else {
            throw ModelError.invalidConfiguration(key: "lora.dropout", value: String(dropout), reason: "must be in [0, 1)")
        }
        guard !targets.isEmpty else {
            throw ModelError.invalidConfiguration(key: "lora.target_modules", value: "[]",
                                                  reason: "name at least one of \(LoRATarget.allCases.map(\.rawValue).joined(separator: ", ")) or all-linear")
        }
    }

    /// Parses target names: `all-linear` (every projection), PEFT's module names (`q_proj`, ...)
    /// or the short names (`q`, `k`, `v`, `o`, `gate`, `up`, `down`).
    /// - Throws: `ModelError.invalidConfiguration` naming the unknown name.
    public static func parseTargets(_ names: [String]) throws -> [LoRATarget] {
        var targets: [LoRATarget] = []
        for name in names {
            let trimmed = name.trimmingCharacters(in: .whitespaces).lowercased()
            if trimmed == "all-linear" || trimmed == "all_linear" {
                targets += LoRATarget.allCases
            } else if let target = LoRATarget.parse(trimmed) {
                targets.append(target)
            } else {
                throw ModelError.invalidConfiguration(
                    key: "lora.target_modules", value: name,
                    reason: "is not a projection; use all-linear or some of \(LoRATarget.allCases.map(\.rawValue).joined(separator: ", ")) (the LM head and embeddings cannot take adapters)")
            }
        }
        return Array(Set(targets)).sorted()
    }
}
