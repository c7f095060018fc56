import IRPOFormats

/// The linear projections of every decoder layer (q, k, v, o, gate, up, down) kept in their
/// stored GGUF types, for a frozen base that is only read: the forward and backward dequantise
/// one layer's group of projections at a time into a scratch buffer just before its product
/// (QLoRA-style), so the base costs its quantised size in memory instead of 4 bytes a weight.
///
/// Dequantising uses the loader's kernels, so the scratch holds exactly the floats a full F32
/// load would hold, and every product sees the same operands as with `LlamaModel(gguf:)`.
public final class FrozenProjections: Sendable {
    /// `matrices[layer][target.order]`, each `[out, in]` in the Hugging Face row order.
    let matrices: [[QuantizedMatrix]]

    /// The matrices, per layer in `LoRATarget` order; shapes must match `configuration`.
    /// - Throws: `ModelError.invalidConfiguration` naming the layer and projection whose shape
    ///   does not match.
    public init(configuration: LlamaConfiguration, matrices: [[QuantizedMatrix]]) throws {
        guard matrices.count == configuration.layerCount else {
            throw ModelError.invalidConfiguration(key: "num_hidden_layers", value: String(configuration.layerCount),
                                                  reason: "but \(matrices.count) layers of projections were given")
        }
        for (layer, list) in matrices.enumerated() {
            guard list.count == LoRATarget.allCases.count else {
                throw ModelError.invalidConfiguration(key: "layer \(layer)", value: String(list.count),
                                                      reason: "projections given; every layer needs q, k, v, o, gate, up and down")
            }
            for target in LoRATarget.allCases {
                let shape = target.shape(in: configuration), matrix = list[target.order]
                guard matrix.rows == shape.out, matrix.columns == shape.in else {
                    throw ModelError.invalidConfiguration(
                        key: target.baseKind.huggingFaceName(layer: layer), value: "\(matrix.rows) x \(matrix.columns)",
                        reason: "does not match the configuration's \(shape.out) x \(shape.in)")
                }
            }
        }
        self.matrices = matrices
    }

    /// The projection kinds these matrices replace in the model's float parameters.
    public static let kinds: Set<ParameterKind> = Set(LoRATarget.allCases.map(\.baseKind))

    /// Bytes held by all matrices.
    public var byteCount: Int { matrices.reduce(0) { $0 + $1.reduce(0) { $0 + $1.byteCount } } }

    /// Number of weights held.
    public var weightCount: Int { matrices.reduce(0) { $0 + $1.reduce(0) { $0 + $1.rows * $1.columns } } }

    /// The storage types present, by name (e.g. `["Q4_1", "Q8_0"]`).
    public var typeNames: [String] { Array(Set(matrices.flatMap { $0.map(\.type.name) })).sorted() }

    /// The matrix of `target` in `layer`.
    public func matrix(_ target: LoRATarget, layer: Int) -> QuantizedMatrix { matrices[layer][target.order] }

    /// Floats of the largest group (the scratch one product needs).
    public static func scratchCount(_ c: LlamaConfiguration) -> Int {
        LoRAGroup.allCases.map { group in
            group.targets.reduce(0) { $0 + $1.shape(in: c).out * $1.shape(in: c).in }
        }.max() ?? 0
    }

    /// Dequantises `group`'s projections of `layer` into `destination`, one after another, which
    /// is the fused `[rows, in]` matrix the model multiplies (q/k/v and gate/up are adjacent).
    func dequantize(_ group: LoRAGroup, layer: Int, into destination: UnsafeMutablePointer<Float>) {
        var offset = 0
        for target in group.targets {
            let matrix = matrices[layer][target.order]
            matrix.dequantize(into: destination + offset)
            offset += matrix.rows * matrix.columns
        }
    }
}
