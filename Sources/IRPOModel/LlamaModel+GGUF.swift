import Foundation
import IRPOFormats

/// Loading a model from a GGUF file (llama.cpp's format, any supported quantisation) and
/// exporting one as a GGUF file that llama.cpp loads (F32, F16, Q8_0 or Q4_0).
extension LlamaModel {
    /// Loads a model from a GGUF file (`.gguf`) or a Hugging Face folder; the same as
    /// `loadModel(path:)`.
    ///
    /// A path naming a regular file whose name ends in `.gguf` (any case) or that starts with
    /// the GGUF magic is read as GGUF.
    /// - Throws: `FormatError` or `ModelError` naming the file and the fault.
    public static func load(path: String) throws -> LlamaModel {
        try loadModel(path: path)
    }

    /// Whether `path` names a regular file that is (by name or by magic) a GGUF file.
    public static func isGGUFPath(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { return false }
        if path.lowercased().hasSuffix(".gguf") { return true }
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let magic = (try? handle.read(upToCount: 4)) ?? Data()
        return magic == Data("GGUF".utf8)
    }

    /// Loads the GGUF file at `url`: dequantises every weight to Float and undoes llama.cpp's
    /// rotary row order of the llama Q/K projections, so the model matches the HF layout.
    /// - Throws: `FormatError` naming the file and the key or tensor at fault.
    public convenience init(ggufFile url: URL) throws {
        try self.init(gguf: try GGUFFile(contentsOf: url))
    }

    /// Loads a model from an opened GGUF file (see `init(ggufFile:)`).
    public convenience init(gguf file: GGUFFile) throws {
        try self.init(gguf: file, freezingProjections: false)
    }

    /// Loads the GGUF file at `url` as a frozen base: the layers' projections stay in their
    /// stored types (`FrozenProjections`, dequantised one group at a time inside the products),
    /// everything else is dequantised to Float as `init(ggufFile:)` does. The model computes the
    /// same log-probs, bit for bit, as `init(ggufFile:)`'s, but cannot be trained or decoded
    /// itself; it is a base for LoRA adapters.
    /// - Throws: `FormatError` naming the file and the key or tensor at fault.
    public convenience init(frozenGGUFFile url: URL) throws {
        try self.init(gguf: try GGUFFile(contentsOf: url), freezingProjections: true)
    }

    /// Whether `file` stores any layer projection in a type other than F32 (keeping such a file's
    /// projections frozen saves memory; an all-F32 file gains nothing).
    public static func ggufHasCompactProjections(_ file: GGUFFile) -> Bool {
        file.tensors.contains { info in
            info.type != .f32 && info.rowMajorShape.count == 2
                && ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"].contains { info.name.hasSuffix(".\($0).weight") }
        }
    }

    private convenience init(gguf file: GGUFFile, freezingProjections: Bool) throws {
        let configuration = try LlamaConfiguration(gguf: file)
        let architecture = configuration.modelType
        // Every tensor the metadata implies must be in the file with its shape before the
        // parameters are allocated.
        for entry in ParameterLayout(configuration: configuration).entries {
            let name = GGUFTensorNames.name(of: entry.kind, layer: entry.layer)
            guard let info = file.tensor(named: name) else {
                throw FormatError(url: file.url, "has no tensor '\(name)' (\(entry.huggingFaceName)), which the metadata implies; the file is incomplete or not a \(architecture) model")
            }
            guard info.rowMajorShape == entry.shape else {
                throw FormatError(url: file.url, "tensor '\(name)' has shape \(info.rowMajorShape) (row-major), but the metadata implies \(entry.shape); the metadata and the tensors disagree")
            }
        }
        var frozen: FrozenProjections?
        if freezingProjections {
            var matrices: [[QuantizedMatrix]] = []
            for layer in 0..<configuration.layerCount {
                var list: [QuantizedMatrix] = []
                for target in LoRATarget.allCases {
                    let name = GGUFTensorNames.name(of: target.baseKind, layer: layer)
                    var matrix = try file.quantizedMatrix(name)
                    if GGUFTensorNames.isRotaryInterleaved(target.baseKind, architecture: architecture) {
                        let heads = target == .query ? configuration.attentionHeads : configuration.keyValueHeads
                        matrix = matrix.permutingRows(GGUFTensorNames.rotaryRowSources(rows: matrix.rows, heads: heads))
                    }
                    list.append(matrix)
                }
                matrices.append(list)
            }
            frozen = try FrozenProjections(configuration: configuration, matrices: matrices)
        }
        try self.init(configuration: configuration, frozenProjections: frozen)
        for entry in parameters.layout.entries {
            let name = GGUFTensorNames.name(of: entry.kind, layer: entry.layer)
            let view = parameters.view(entry.kind, layer: entry.layer)
            try file.readFloats(name, into: view)
            if GGUFTensorNames.isRotaryInterleaved(entry.kind, architecture: architecture) {
                let heads = entry.kind == .queryWeight ? configuration.attentionHeads : configuration.keyValueHeads
                GGUFTensorNames.reorderRotaryRows(view, heads: heads, columns: configuration.hiddenSize, toGGUF: false)
            }
        }
    }

    /// The tokenizer and chat-template metadata of `file` (`tokenizer.*` keys, file order), for
    /// copying into an exported GGUF.
    public static func ggufTokenizerMetadata(of file: GGUFFile) -> [(key: String, value: GGUFValue)] {
        file.metadataKeys.filter { $0.hasPrefix("tokenizer.") }.compactMap { key in
            file[key].map { (key: key, value: $0) }
        }
    }

    /// Writes this model as a GGUF v3 file that llama.cpp loads: llama.cpp tensor names, Q/K
    /// rows in llama.cpp's rotary order (llama architecture), `rope_freqs.weight` for llama3
    /// scaling, no `output.weight` when embeddings are tied.
    ///
    /// Matrices are stored as `type` (`.f32`, `.f16`, `.q8_0` or `.q4_0`, with the exceptions of
    /// `GGUFExportPolicy`); norms, biases and rotary factors stay F32 as llama.cpp keeps them.
    /// `extraMetadata` (e.g. `ggufTokenizerMetadata(of:)`) is appended after the model keys; keys
    /// already written by this method are rejected.
    /// - Throws: `FormatError` naming the file when it cannot be written, `type` is unsupported or
    ///   a weight is not finite (quantised types).
    public func saveGGUF(to url: URL, type: GGMLType = .f32, name: String = "irpo model",
                         extraMetadata: [(key: String, value: GGUFValue)] = []) throws {
        guard let policy = GGUFExportPolicy(target: type) else {
            throw FormatError(url: url, "cannot export GGUF tensors as \(type.name); use \(GGUFExportPolicy.supportedTargets.map(\.name).joined(separator: ", "))")
        }
        let c = configuration
        var metadata = c.ggufMetadata(name: name)
        metadata.append(("general.file_type", .uint32(policy.fileType)))
        if GGUFQuantizer.supports(type) { metadata.append(("general.quantization_version", .uint32(2))) }
        let written = Set(metadata.map(\.key))
        for item in extraMetadata {
            guard !written.contains(item.key) else {
                throw FormatError(url: url, "extra metadata key '\(item.key)' is also written from the model configuration; pass only other keys (e.g. tokenizer.*)")
            }
            metadata.append(item)
        }
        // Keep permuted copies alive until the writer returns.
        var owned: [UnsafeMutableBufferPointer<Float>] = []
        defer { owned.forEach { $0.deallocate() } }
        func copy(_ values: [Float]) -> UnsafeBufferPointer<Float> {
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(1, values.count))
            _ = buffer.initialize(from: values)
            owned.append(buffer)
            return UnsafeBufferPointer(rebasing: buffer[0..<values.count])
        }
        var tensors: [GGUFWriter.Tensor] = []
        if let scaling = c.ropeScaling {
            let factors = LlamaConfiguration.llama3RopeFactors(scaling, theta: c.ropeTheta, headDimension: c.headDimension)
            tensors.append(GGUFWriter.Tensor(name: GGUFTensorNames.ropeFrequencies, dimensions: [factors.count], type: .f32, values: copy(factors)))
        }
        for entry in layout.entries {
            let view = parameters.view(entry.kind, layer: entry.layer)
            var values = UnsafeBufferPointer(view)
            if GGUFTensorNames.isRotaryInterleaved(entry.kind, architecture: c.ggufArchitecture) {
                let heads = entry.kind == .queryWeight ? c.attentionHeads : c.keyValueHeads
                let permuted = UnsafeMutableBufferPointer<Float>.allocate(capacity: view.count)
                _ = permuted.initialize(from: view)
                owned.append(permuted)
                GGUFTensorNames.reorderRotaryRows(permuted, heads: heads, columns: c.hiddenSize, toGGUF: true)
                values = UnsafeBufferPointer(permuted)
            }
            let isOutput = entry.kind == .lmHead || (entry.kind == .embedding && c.tieWordEmbeddings)
            let dimensions = Array(entry.shape.reversed())
            tensors.append(GGUFWriter.Tensor(name: GGUFTensorNames.name(of: entry.kind, layer: entry.layer),
                                             dimensions: dimensions, type: policy.type(dimensions: dimensions, isOutput: isOutput),
                                             values: values))
        }
        try GGUFWriter.write(metadata: metadata, tensors: tensors, to: url)
    }
}
