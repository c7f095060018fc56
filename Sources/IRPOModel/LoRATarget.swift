/// A linear projection of a decoder layer that can carry a low-rank adapter.
///
/// The cases follow the parameter layout's order (q, k, v, o, gate, up, down), so the adapters
/// of q/k/v (and of gate/up) sit next to each other as the base weights do, and the model applies
/// each group's `A` matrices in one product. The raw values are PEFT's module names.
public enum LoRATarget: String, CaseIterable, Sendable, Codable, Comparable {
    /// The query projection `[H*D, C]`.
    case query = "q_proj"
    /// The key projection `[Hkv*D, C]`.
    case key = "k_proj"
    /// The value projection `[Hkv*D, C]`.
    case value = "v_proj"
    /// The attention output projection `[C, H*D]`.
    case output = "o_proj"
    /// The SwiGLU gate projection `[I, C]`.
    case gate = "gate_proj"
    /// The SwiGLU up projection `[I, C]`.
    case up = "up_proj"
    /// The MLP down projection `[C, I]`.
    case down = "down_proj"

    /// The base weight this adapter adds to.
    public var baseKind: ParameterKind {
        switch self {
        case .query: return .queryWeight
        case .key: return .keyWeight
        case .value: return .valueWeight
        case .output: return .outputWeight
        case .gate: return .gateWeight
        case .up: return .upWeight
        case .down: return .downWeight
        }
    }

    /// PEFT's path of the module under a decoder layer (`self_attn.q_proj`, `mlp.down_proj`, ...).
    public var modulePath: String {
        switch self {
        case .query, .key, .value, .output: return "self_attn." + rawValue
        case .gate, .up, .down: return "mlp." + rawValue
        }
    }

    /// Which fused product of the forward the projection belongs to.
    public var group: LoRAGroup {
        switch self {
        case .query, .key, .value: return .attentionInput
        case .output: return .attentionOutput
        case .gate, .up: return .mlpInput
        case .down: return .mlpOutput
        }
    }

    /// `[out, in]` of the base weight in a model with `configuration`.
    public func shape(in configuration: LlamaConfiguration) -> (out: Int, in: Int) {
        let shape = baseKind.shape(in: configuration)
        return (shape[0], shape[1])
    }

    /// Short names accepted besides PEFT's: `q`, `k`, `v`, `o`, `gate`, `up`, `down`.
    public static func parse(_ name: String) -> LoRATarget? {
        if let target = LoRATarget(rawValue: name) { return target }
        switch name {
        case "q": return .query
        case "k": return .key
        case "v": return .value
        case "o": return .output
        case "gate": return .gate
        case "up": return .up
        case "down": return .down
        default: return nil
        }
    }

    /// Position in layout order (q 0 ... down 6).
    public var order: Int {
        switch self {
        case .query: return 0
        case .key: return 1
        case .value: return 2
        case .output: return 3
        case .gate: return 4
        case .up: return 5
        case .down: return 6
        }
    }

    public static func < (lhs: LoRATarget, rhs: LoRATarget) -> Bool { lhs.order < rhs.order }
}

/// The four products of a decoder layer that adapters attach to: each group's base weights are
/// one matrix (q/k/v; o; gate/up; down) applied to one input.
public enum LoRAGroup: Int, CaseIterable, Sendable {
    /// q, k, v on the attention norm's output.
    case attentionInput
    /// o on the attention output.
    case attentionOutput
    /// gate, up on the MLP norm's output.
    case mlpInput
    /// down on the SwiGLU output.
    case mlpOutput

    /// The targets of this group, in layout order.
    public var targets: [LoRATarget] { LoRATarget.allCases.filter { $0.group == self } }
}
