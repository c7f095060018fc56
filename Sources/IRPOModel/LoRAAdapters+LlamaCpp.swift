import Foundation
import IRPOFormats

extension LoRAAdapters {
    /// File name of the llama.cpp adapter written next to the PEFT files.
    public static let llamaCppFileName = "adapter.gguf"

    /// llama.cpp's name of `adapter`'s `A` (`"lora_a"`) or `B` (`"lora_b"`) tensor: the base
    /// tensor's GGUF name plus the suffix (`blk.3.attn_q.weight.lora_a`).
    public static func llamaCppTensorName(_ adapter: LoRALayout.Adapter, matrix: String) -> String {
        GGUFTensorNames.name(of: adapter.target.baseKind, layer: adapter.layer) + "." + matrix
    }

    /// The metadata of a llama.cpp LoRA adapter GGUF for these adapters: `general.type` `adapter`,
    /// `general.architecture` the base's, `adapter.type` `lora`, `adapter.lora.alpha`.
    public func llamaCppMetadata(name: String) -> [(key: String, value: GGUFValue)] {
        [
            ("general.architecture", .string(modelConfiguration.ggufArchitecture)),
            ("general.type", .string("adapter")),
            ("general.name", .string(name)),
            ("general.file_type", .uint32(0)),
            ("adapter.type", .string("lora")),
            ("adapter.lora.alpha", .float32(Float(configuration.alpha))),
        ]
    }

    /// Writes the adapters as a llama.cpp LoRA adapter (GGUF v3, F32), the format llama.cpp's
    /// `convert_lora_to_gguf.py` writes and `llama-cli --lora FILE` / `llama-export-lora` read,
    /// for a GGUF of the base model.
    ///
    /// For each adapted projection, `<base tensor>.lora_a` holds `A` (`[rank, in]` row-major,
    /// GGUF dimensions `[in, rank]`) and `<base tensor>.lora_b` holds `B` (`[out, rank]`, GGUF
    /// `[rank, out]`). llama.cpp stores the llama architecture's query and key rows in its rotary
    /// order, so the rows of those `B` matrices are reordered the same way; `A` acts on the
    /// input and is unchanged. llama.cpp scales by `alpha / rank` as PEFT does.
    /// - Throws: `FormatError` naming the file when it cannot be written.
    public func saveLlamaCppGGUF(to url: URL, name: String = "irpo LoRA adapter") throws {
        let c = modelConfiguration
        var owned: [UnsafeMutableBufferPointer<Float>] = []
        defer { owned.forEach { $0.deallocate() } }
        var tensors: [GGUFWriter.Tensor] = []
        let r = layout.rank
        for adapter in layout.adapters {
            tensors.append(GGUFWriter.Tensor(name: Self.llamaCppTensorName(adapter, matrix: "lora_a"),
                                             dimensions: [adapter.inputWidth, r], values: UnsafeBufferPointer(weights.a(adapter))))
            var b = UnsafeBufferPointer(weights.b(adapter))
            if GGUFTensorNames.isRotaryInterleaved(adapter.target.baseKind, architecture: c.ggufArchitecture) {
                let permuted = UnsafeMutableBufferPointer<Float>.allocate(capacity: b.count)
                _ = permuted.initialize(from: b)
                owned.append(permuted)
                let heads = adapter.target == .query ? c.attentionHeads : c.keyValueHeads
                GGUFTensorNames.reorderRotaryRows(permuted, heads: heads, columns: r, toGGUF: true)
                b = UnsafeBufferPointer(permuted)
            }
            tensors.append(GGUFWriter.Tensor(name: Self.llamaCppTensorName(adapter, matrix: "lora_b"),
                                             dimensions: [r, adapter.outputWidth], values: b))
        }
        try GGUFWriter.write(metadata: llamaCppMetadata(name: name), tensors: tensors, to: url)
    }
}
