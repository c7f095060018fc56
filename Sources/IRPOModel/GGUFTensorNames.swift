/// llama.cpp's tensor names (as in GGUF files) for the parameters of a `LlamaModel`, and the
/// rotary row order llama.cpp uses for the query and key projections of the llama architecture.
public enum GGUFTensorNames {
    /// The tensor holding llama3 per-dimension rotary frequency divisors.
    public static let ropeFrequencies = "rope_freqs.weight"

    /// The GGUF name of `kind` in `layer` (ignored for global kinds), e.g. `blk.3.attn_q.weight`.
    public static func name(of kind: ParameterKind, layer: Int) -> String {
        let block = "blk.\(layer)."
        switch kind {
        case .embedding: return "token_embd.weight"
        case .attentionNorm: return block + "attn_norm.weight"
        case .queryWeight: return block + "attn_q.weight"
        case .queryBias: return block + "attn_q.bias"
        case .keyWeight: return block + "attn_k.weight"
        case .keyBias: return block + "attn_k.bias"
        case .valueWeight: return block + "attn_v.weight"
        case .valueBias: return block + "attn_v.bias"
        case .outputWeight: return block + "attn_output.weight"
        case .mlpNorm: return block + "ffn_norm.weight"
        case .gateWeight: return block + "ffn_gate.weight"
        case .upWeight: return block + "ffn_up.weight"
        case .downWeight: return block + "ffn_down.weight"
        case .finalNorm: return "output_norm.weight"
        case .lmHead: return "output.weight"
        }
    }

    /// Whether llama.cpp stores this tensor with its rotary rows interleaved for `architecture`.
    ///
    /// llama.cpp's converter reorders the rows of the llama Q and K projections so that each
    /// rotated pair of dimensions is adjacent (its "normal" rope); qwen2 uses the NeoX rope, which
    /// matches the Hugging Face layout, so its weights are stored unchanged.
    public static func isRotaryInterleaved(_ kind: ParameterKind, architecture: String) -> Bool {
        architecture == "llama" && (kind == .queryWeight || kind == .keyWeight)
    }

    /// Reorders the rows of a `[heads * headDimension, columns]` matrix from llama.cpp's
    /// interleaved rotary order to Hugging Face's half-split order (`toGGUF: false`), or back.
    ///
    /// Within head `h`, HF row `h*D + half*D/2 + i` is llama.cpp row `h*D + 2*i + half`.
    public static func reorderRotaryRows(_ values: UnsafeMutableBufferPointer<Float>, heads: Int, columns: Int, toGGUF: Bool) {
        precondition(heads > 0 && columns > 0 && values.count % (heads * columns) == 0, "rotary reorder: shape mismatch")
        let headDimension = values.count / (heads * columns)
        precondition(headDimension % 2 == 0, "rotary reorder: head dimension must be even")
        guard let base = values.baseAddress else { return }
        let half = headDimension / 2
        let original = [Float](values)
        original.withUnsafeBufferPointer { source in
            guard let from = source.baseAddress else { return }
            for head in 0..<heads {
                for part in 0..<2 {
                    for i in 0..<half {
                        let hfRow = head * headDimension + part * half + i
                        let ggufRow = head * headDimension + 2 * i + part
                        let (destinationRow, sourceRow) = toGGUF ? (ggufRow, hfRow) : (hfRow, ggufRow)
                        (base + destinationRow * columns).update(from: from + sourceRow * columns, count: columns)
                    }
                }
            }
        }
    }

    /// For a `[rows, C]` Q or K weight in llama.cpp's rotary row order, the source row of each
    /// Hugging Face row: row `i` of the HF matrix is row `result[i]` of the GGUF one (the
    /// permutation `reorderRotaryRows(_:heads:columns:toGGUF: false)` applies).
    public static func rotaryRowSources(rows: Int, heads: Int) -> [Int] {
        precondition(heads > 0 && rows % heads == 0 && (rows / heads) % 2 == 0, "rotary reorder: shape mismatch")
        let headDimension = rows / heads, half = headDimension / 2
        var sources = [Int](repeating: 0, count: rows)
        for head in 0..<heads {
            for part in 0..<2 {
                for i in 0..<half {
                    sources[head * headDimension + part * half + i] = head * headDimension + 2 * i + part
                }
            }
        }
        return sources
    }
}
