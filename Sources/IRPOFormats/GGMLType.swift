/// Tensor element types of ggml / GGUF, with their numbers as stored in the tensor table.
public enum GGMLType: UInt32, Sendable, CaseIterable {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9
    case q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, q8_K = 15
    case iq2_xxs = 16, iq2_xs = 17, iq3_xxs = 18, iq1_s = 19, iq4_nl = 20, iq3_s = 21, iq2_s = 22, iq4_xs = 23
    case i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28, iq1_m = 29, bf16 = 30
    case tq1_0 = 34, tq2_0 = 35, mxfp4 = 39, nvfp4 = 40, q1_0 = 41

    /// The name llama.cpp and gguf-py use (e.g. "Q4_K", "BF16").
    public var name: String {
        String(describing: self).uppercased()
    }

    /// Elements per block and bytes per block (ggml's `blck_size` and `type_size`).
    public var blockLayout: (elements: Int, bytes: Int) {
        let superBlock = 256
        switch self {
        case .f32: return (1, 4)
        case .f16, .bf16: return (1, 2)
        case .q4_0: return (32, 18)
        case .q4_1: return (32, 20)
        case .q5_0: return (32, 22)
        case .q5_1: return (32, 24)
        case .q8_0: return (32, 34)
        case .q8_1: return (32, 36)  // ggml's block_q8_1 (two halves + 32 bytes); gguf-py's table says 40
        case .q2_K: return (superBlock, 84)
        case .q3_K: return (superBlock, 110)
        case .q4_K: return (superBlock, 144)
        case .q5_K: return (superBlock, 176)
        case .q6_K: return (superBlock, 210)
        case .q8_K: return (superBlock, 292)
        case .iq2_xxs: return (superBlock, 66)
        case .iq2_xs: return (superBlock, 74)
        case .iq3_xxs: return (superBlock, 98)
        case .iq1_s: return (superBlock, 50)
        case .iq4_nl: return (32, 18)
        case .iq3_s: return (superBlock, 110)
        case .iq2_s: return (superBlock, 82)
        case .iq4_xs: return (superBlock, 136)
        case .i8: return (1, 1)
        case .i16: return (1, 2)
        case .i32: return (1, 4)
        case .i64, .f64: return (1, 8)
        case .iq1_m: return (superBlock, 56)
        case .tq1_0: return (superBlock, 54)
        case .tq2_0: return (superBlock, 66)
        case .mxfp4: return (32, 17)
        case .nvfp4: return (64, 36)
        case .q1_0: return (128, 18)
        }
    }

    /// Whether `GGUFFile.floats` can dequantise this type.
    public var canDequantize: Bool { GGUFDequantizer.supports(self) }
}
