import IRPOFormats

/// Which GGML type each tensor of an exported GGUF gets, following llama.cpp's `llama-quantize`
/// for the same target:
///
/// - One-dimensional tensors (norms, biases, rotary factors) stay F32.
/// - Matrices get the target type; a matrix whose rows (`ne0`) are not whole 32-value blocks falls
///   back to F16, as llama.cpp does for a 32-value block type.
/// - Q8_0: every matrix, token embedding and output projection included, is Q8_0 (llama.cpp
///   quantises those two with the target type when it is Q8_0).
/// - Q4_0: the output projection (the token embedding when they are tied) is Q8_0; llama.cpp
///   writes Q6_K there, a type irpo does not write, and Q8_0 keeps at least as much precision.
public struct GGUFExportPolicy: Sendable, Equatable {
    /// The target type: `.f32`, `.f16`, `.q8_0` or `.q4_0`.
    public let target: GGMLType

    /// The types a model can be exported as.
    public static let supportedTargets: [GGMLType] = [.f32, .f16, .q8_0, .q4_0]

    /// A policy for `target`, or nil when it is not one of `supportedTargets`.
    public init?(target: GGMLType) {
        guard Self.supportedTargets.contains(target) else { return nil }
        self.target = target
    }

    /// The target named as in file names and configs (`f32`, `f16`, `q8_0`, `q4_0`, any case).
    public init?(name: String) {
        guard let type = Self.supportedTargets.first(where: { $0.name.lowercased() == name.lowercased() }) else { return nil }
        self.init(target: type)
    }

    /// The lower-case name used in file names (`model.q8_0.gguf`).
    public var name: String { target.name.lowercased() }

    /// llama.cpp's `general.file_type` (`LLAMA_FTYPE_*`) of the target.
    public var fileType: UInt32 {
        switch target {
        case .f16: return 1
        case .q4_0: return 2
        case .q8_0: return 7
        default: return 0
        }
    }

    /// The stored type of a tensor.
    /// - Parameters:
    ///   - dimensions: GGUF order, `ne0` first.
    ///   - isOutput: the output projection, or the token embedding when it doubles as one.
    public func type(dimensions: [Int], isOutput: Bool) -> GGMLType {
        guard dimensions.count >= 2 else { return .f32 }
        var chosen = target
        if target == .q4_0 && isOutput { chosen = .q8_0 }
        if chosen.blockLayout.elements > 1 && (dimensions.first ?? 0) % chosen.blockLayout.elements != 0 { return .f16 }
        return chosen
    }
}
