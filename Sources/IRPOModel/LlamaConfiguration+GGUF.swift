import Foundation
import IRPOFormats

/// Reading and writing a configuration as GGUF metadata (`general.architecture` and the
/// `<arch>.*` keys llama.cpp writes).
extension LlamaConfiguration {
    /// The `general.architecture` values this engine loads.
    public static let ggufArchitectures = ["llama", "qwen2"]

    /// The configuration described by the metadata and tensor table of `file`.
    ///
    /// Maps `<arch>.context_length`, `.embedding_length`, `.block_count`, `.feed_forward_length`,
    /// `.attention.head_count`, `.attention.head_count_kv`, `.attention.key_length`,
    /// `.rope.freq_base`, `.rope.dimension_count`, `.rope.scaling.*`,
    /// `.attention.layer_norm_rms_epsilon` and `.vocab_size` (else the token list or the
    /// embedding's size); the output is tied when `output.weight` is absent; a llama3 rotary
    /// scaling stored as `rope_freqs.weight` is recognised.
    /// - Throws: `FormatError` naming the file and key for an unsupported architecture, a missing
    ///   or mistyped key, or metadata that contradicts itself or the tensor shapes;
    ///   `ModelError.invalidConfiguration` when the result is not a model this engine runs.
    public init(gguf file: GGUFFile) throws {
        let url = file.url
        func fail(_ message: String) -> FormatError { FormatError(url: url, message) }
        guard let architecture = file["general.architecture"]?.stringValue else {
            throw fail("has no string metadata 'general.architecture'; this is not a model GGUF (or a damaged one)")
        }
        guard Self.ggufArchitectures.contains(architecture) else {
            throw fail("general.architecture '\(architecture)' is not supported (supported: \(Self.ggufArchitectures.joined(separator: ", "))); convert a Llama-family model instead")
        }
        func integer(_ suffix: String, required: Bool = true) throws -> Int? {
            let key = "\(architecture).\(suffix)"
            guard let value = file[key] else {
                if required { throw fail("metadata '\(key)' is missing; the file cannot describe a \(architecture) model without it") }
                return nil
            }
            if let number = value.intValue { return number }
            // Some converters write per-layer arrays (e.g. head_count_kv); accept them when uniform.
            if let numbers = value.intArray, let first = numbers.first, numbers.allSatisfy({ $0 == first }) { return first }
            throw fail("metadata '\(key)' is \(value.typeName), expected a non-negative integer (or a uniform per-layer array)")
        }
        func real(_ suffix: String) throws -> Double? {
            let key = "\(architecture).\(suffix)"
            guard let value = file[key] else { return nil }
            guard let number = value.doubleValue else {
                throw fail("metadata '\(key)' is \(value.typeName), expected a number")
            }
            return number
        }
        let hidden = try integer("embedding_length") ?? 0
        let layers = try integer("block_count") ?? 0
        let intermediate = try integer("feed_forward_length") ?? 0
        let heads = try integer("attention.head_count") ?? 0
        let kvHeads = try integer("attention.head_count_kv", required: false) ?? heads
        let context = try integer("context_length") ?? 0
        guard let epsilon = try real("attention.layer_norm_rms_epsilon") else {
            throw fail("metadata '\(architecture).attention.layer_norm_rms_epsilon' is missing; the RMSNorm epsilon is needed")
        }
        guard heads > 0 else { throw fail("'\(architecture).attention.head_count' is \(heads); it must be positive") }
        var headDimension = try integer("attention.key_length", required: false) ?? hidden / heads
        if let valueLength = try integer("attention.value_length", required: false), valueLength != headDimension {
            throw fail("'\(architecture).attention.value_length' (\(valueLength)) differs from the key length (\(headDimension)); such models are not supported")
        }
        if let rotaryDimensions = try integer("rope.dimension_count", required: false), rotaryDimensions != headDimension {
            if file["\(architecture).attention.key_length"] == nil, hidden % heads != 0 {
                headDimension = rotaryDimensions
            } else {
                throw fail("'\(architecture).rope.dimension_count' is \(rotaryDimensions) but the head dimension is \(headDimension); partial rotary embeddings are not supported")
            }
        }

        // Vocabulary: metadata, token list and embedding must agree.
        guard let embedding = file.tensor(named: GGUFTensorNames.name(of: .embedding, layer: 0)) else {
            throw fail("has no tensor 'token_embd.weight'; a model GGUF needs the token embedding")
        }
        guard embedding.dimensions.count == 2, embedding.dimensions[0] == hidden else {
            throw fail("tensor 'token_embd.weight' has dimensions \(embedding.dimensions) (ne0 first), but '\(architecture).embedding_length' is \(hidden); the metadata and the tensors disagree")
        }
        let embeddingRows = embedding.dimensions[1]
        let vocabulary = try integer("vocab_size", required: false) ?? embeddingRows
        guard vocabulary == embeddingRows else {
            throw fail("'\(architecture).vocab_size' is \(vocabulary) but 'token_embd.weight' has \(embeddingRows) rows; the metadata and the tensors disagree")
        }
        if let tokens = file["tokenizer.ggml.tokens"]?.arrayValue, tokens.count > vocabulary {
            throw fail("'tokenizer.ggml.tokens' has \(tokens.count) tokens but the model's vocabulary is \(vocabulary); the tokenizer does not belong to this model")
        }

        let theta = try real("rope.freq_base") ?? 10_000
        // Checked here, before the rotary scaling below computes with it.
        guard theta.isFinite, theta > 0 else {
            throw fail("'\(architecture).rope.freq_base' is \(theta); the rotary base must be a positive finite number")
        }
        guard headDimension > 0, headDimension <= ModelLimits.maxDimension else {
            throw fail("the head dimension is \(headDimension); it must be in 1...\(ModelLimits.maxDimension)")
        }
        var scaling: Llama3RopeScaling?
        if let type = file["\(architecture).rope.scaling.type"] {
            let name = type.stringValue ?? "\(type)"
            let factor = try real("rope.scaling.factor") ?? 1
            guard name == "none" || factor == 1 else {
                throw fail("'\(architecture).rope.scaling.type' is '\(name)' (factor \(factor)); only llama3 scaling (via rope_freqs.weight) is supported")
            }
        }
        if file.tensor(named: GGUFTensorNames.ropeFrequencies) != nil {
            let factors = try file.floats(GGUFTensorNames.ropeFrequencies)
            let hint = try integer("rope.scaling.original_context_length", required: false)
            scaling = try Self.llama3Scaling(fitting: factors, theta: theta, headDimension: headDimension, originalContextHint: hint, url: url)
        }

        let tied = file.tensor(named: GGUFTensorNames.name(of: .lmHead, layer: 0)) == nil
        let bos = file["tokenizer.ggml.bos_token_id"]?.intValue
        let eos = file["tokenizer.ggml.eos_token_id"]?.intValue
        self.init(modelType: architecture, vocabularySize: vocabulary, hiddenSize: hidden, intermediateSize: intermediate,
                  layerCount: layers, attentionHeads: heads, keyValueHeads: kvHeads, headDimension: headDimension,
                  rmsNormEpsilon: epsilon, ropeTheta: theta, ropeScaling: scaling, maxPositionEmbeddings: context,
                  tieWordEmbeddings: tied, bosTokenID: bos, eosTokenIDs: eos.map { [$0] } ?? [], dtype: "float32")
        try validate()
    }

    /// The `general.architecture` this model is exported as: `qwen2`, else `llama` (llama.cpp
    /// runs mistral checkpoints as llama).
    public var ggufArchitecture: String { modelType == "qwen2" ? "qwen2" : "llama" }

    /// The GGUF metadata llama.cpp expects for this configuration: `general.architecture`,
    /// `general.name` and the `<arch>.*` keys (tokenizer keys are not included).
    public func ggufMetadata(name: String) -> [(key: String, value: GGUFValue)] {
        let arch = ggufArchitecture
        var metadata: [(key: String, value: GGUFValue)] = [
            ("general.architecture", .string(arch)),
            ("general.name", .string(name)),
            ("\(arch).context_length", .uint32(UInt32(clamping: maxPositionEmbeddings))),
            ("\(arch).embedding_length", .uint32(UInt32(clamping: hiddenSize))),
            ("\(arch).block_count", .uint32(UInt32(clamping: layerCount))),
            ("\(arch).feed_forward_length", .uint32(UInt32(clamping: intermediateSize))),
            ("\(arch).attention.head_count", .uint32(UInt32(clamping: attentionHeads))),
            ("\(arch).attention.head_count_kv", .uint32(UInt32(clamping: keyValueHeads))),
            ("\(arch).rope.freq_base", .float32(Float(ropeTheta))),
            ("\(arch).attention.layer_norm_rms_epsilon", .float32(Float(rmsNormEpsilon))),
            ("\(arch).vocab_size", .uint32(UInt32(clamping: vocabularySize))),
            ("\(arch).rope.dimension_count", .uint32(UInt32(clamping: headDimension))),
        ]
        if headDimension * attentionHeads != hiddenSize {
            metadata.append(("\(arch).attention.key_length", .uint32(UInt32(clamping: headDimension))))
            metadata.append(("\(arch).attention.value_length", .uint32(UInt32(clamping: headDimension))))
        }
        if let scaling = ropeScaling {
            metadata.append(("\(arch).rope.scaling.original_context_length", .uint32(UInt32(clamping: scaling.originalMaxPositionEmbeddings))))
        }
        return metadata
    }

    /// llama3 per-dimension frequency divisors (`rope_freqs.weight`, `headDimension / 2` values),
    /// computed with the same rule as transformers' `_compute_llama3_parameters`.
    public static func llama3RopeFactors(_ scaling: Llama3RopeScaling, theta: Double, headDimension: Int) -> [Float] {
        let original = Double(scaling.originalMaxPositionEmbeddings)
        let lowWavelength = original / scaling.lowFrequencyFactor
        let highWavelength = original / scaling.highFrequencyFactor
        return stride(from: 0, to: headDimension, by: 2).map { index in
            let wavelength = 2 * Double.pi * pow(theta, Double(index) / Double(headDimension))
            if wavelength < highWavelength { return 1 }
            if wavelength > lowWavelength { return Float(scaling.factor) }
            let smooth = (original / wavelength - scaling.lowFrequencyFactor) / (scaling.highFrequencyFactor - scaling.lowFrequencyFactor)
            return Float(1 / ((1 - smooth) / scaling.factor + smooth))
        }
    }

    /// Recovers llama3 scaling parameters from stored `rope_freqs` divisors, assuming Llama 3's
    /// low/high frequency factors 1 and 4; the original context length comes from the metadata
    /// hint, from a smoothed dimension, or from the band boundaries. Throws when no such
    /// parameters reproduce the stored values.
    /// `value` rounded to a context length, or nil when it is not finite or not a sane length
    /// (`Int(_:)` traps on NaN and on values outside Int's range).
    static func contextLength(_ value: Double) -> Int? {
        let rounded = value.rounded()
        guard rounded.isFinite, rounded >= 1, rounded <= Double(ModelLimits.maxPositionEmbeddings) else { return nil }
        return Int(rounded)
    }

    static func llama3Scaling(fitting factors: [Float], theta: Double, headDimension: Int, originalContextHint: Int?, url: URL) throws -> Llama3RopeScaling? {
        guard factors.count == headDimension / 2 else {
            throw FormatError(url: url, "tensor 'rope_freqs.weight' has \(factors.count) values, expected head_dim / 2 = \(headDimension / 2); the metadata and the tensors disagree")
        }
        guard factors.allSatisfy({ $0.isFinite && $0 >= 1 }) else {
            throw FormatError(url: url, "tensor 'rope_freqs.weight' holds values below 1 or not finite; only llama3 rotary scaling is supported")
        }
        guard let factor = factors.max(), factor > 1 else { return nil }
        let low = 1.0, high = 4.0
        let wavelengths = stride(from: 0, to: headDimension, by: 2).map { 2 * Double.pi * pow(theta, Double($0) / Double(headDimension)) }
        var candidates: [Int] = []
        if let hint = originalContextHint { candidates.append(hint) }
        for (wavelength, value) in zip(wavelengths, factors) where value > 1 && value < Float(factor) {
            let smooth = (1 / Double(value) - 1 / Double(factor)) / (1 - 1 / Double(factor))
            if let length = Self.contextLength((low + smooth * (high - low)) * wavelength) { candidates.append(length) }
        }
        let kept = zip(wavelengths, factors).filter { $0.1 == 1 }.map(\.0).max() ?? 0
        if let length = Self.contextLength((kept * high).rounded(.down) + 1) { candidates.append(length) }
        candidates.append(8192)
        for original in candidates where original > 0 {
            let scaling = Llama3RopeScaling(factor: Double(factor), lowFrequencyFactor: low, highFrequencyFactor: high, originalMaxPositionEmbeddings: original)
            let rebuilt = llama3RopeFactors(scaling, theta: theta, headDimension: headDimension)
            if zip(rebuilt, factors).allSatisfy({ abs($0 - $1) <= 1e-4 * max(1, abs($1)) }) { return scaling }
        }
        throw FormatError(url: url, "tensor 'rope_freqs.weight' \(factors) does not match llama3 rotary scaling (low_freq_factor 1, high_freq_factor 4); this rotary scaling is not supported")
    }
}
