import Foundation

/// A string coding key, so the configuration can read and write HF's keys directly.
struct ConfigKey: CodingKey, Hashable {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension LlamaConfiguration {
    /// Decodes an HF `config.json` object (keys in HF's snake_case). The sizes `vocab_size`,
    /// `hidden_size`, `intermediate_size`, `num_hidden_layers` and `num_attention_heads` are
    /// required (a missing one is a `DecodingError.keyNotFound`); other keys take the
    /// transformers defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        func value<T: Decodable>(_ key: String, _ type: T.Type) throws -> T? {
            try c.decodeIfPresent(T.self, forKey: ConfigKey(key))
        }
        func defaulted<T: Decodable>(_ key: String, _ type: T.Type, default fallback: T) throws -> T {
            try value(key, T.self) ?? fallback
        }
        let modelType = try value("model_type", String.self) ?? "llama"
        // Defaults of the matching transformers config classes.
        let defaults: (kvHeads: Int?, maxPositions: Int, window: Int?)
        switch modelType {
        case "mistral": defaults = (8, 4096 * 32, 4096)
        case "qwen2": defaults = (32, 32768, nil)
        default: defaults = (nil, 2048, nil)
        }
        // The sizes have no safe default: a 7B fallback for a damaged file would allocate gigabytes.
        func essential(_ key: String) throws -> Int { try c.decode(Int.self, forKey: ConfigKey(key)) }
        let hidden = try essential("hidden_size")
        let heads = try essential("num_attention_heads")
        let kvHeads = try value("num_key_value_heads", Int.self) ?? defaults.kvHeads ?? heads

        // Rotary settings: transformers 5 writes `rope_parameters`; older files `rope_theta` and
        // `rope_scaling`. Either may be null.
        var theta = try value("rope_theta", Double.self)
        var scalingKey = "rope_scaling"
        var scaling = try value("rope_scaling", RopeParameters.self)
        if let parameters = try value("rope_parameters", RopeParameters.self) {
            theta = parameters.ropeTheta ?? theta
            scaling = parameters
            scalingKey = "rope_parameters"
        }
        var llama3: Llama3RopeScaling?
        if let scaling {
            switch scaling.ropeType ?? "default" {
            case "default":
                llama3 = nil
            case "llama3":
                guard let factor = scaling.factor, let low = scaling.lowFreqFactor, let high = scaling.highFreqFactor,
                      let original = scaling.originalMaxPositionEmbeddings else {
                    throw ModelError.invalidConfiguration(
                        key: scalingKey, value: "\(scaling)",
                        reason: "llama3 rope scaling needs factor, low_freq_factor, high_freq_factor and original_max_position_embeddings")
                }
                llama3 = Llama3RopeScaling(factor: factor, lowFrequencyFactor: low, highFrequencyFactor: high,
                                           originalMaxPositionEmbeddings: original)
            case let other:
                throw ModelError.invalidConfiguration(
                    key: "\(scalingKey).rope_type", value: other,
                    reason: "unsupported rotary scaling; supported: default, llama3")
            }
        }

        var eos: [Int] = []
        if let single = try? c.decodeIfPresent(Int.self, forKey: ConfigKey("eos_token_id")) {
            eos = [single]
        } else if let list = try value("eos_token_id", [Int].self) {
            eos = list
        }
        var window: Int? = defaults.window
        if c.contains(ConfigKey("sliding_window")) { window = try value("sliding_window", Int.self) }
        if modelType == "qwen2", try value("use_sliding_window", Bool.self) != true { window = nil }

        let explicitBias = try value("attention_bias", Bool.self)
        self.init(
            modelType: modelType,
            vocabularySize: try essential("vocab_size"),
            hiddenSize: hidden,
            intermediateSize: try essential("intermediate_size"),
            layerCount: try essential("num_hidden_layers"),
            attentionHeads: heads,
            keyValueHeads: kvHeads,
            headDimension: try value("head_dim", Int.self),
            rmsNormEpsilon: try defaulted("rms_norm_eps", Double.self, default: 1e-6),
            ropeTheta: theta ?? 10_000,
            ropeScaling: llama3,
            maxPositionEmbeddings: try defaulted("max_position_embeddings", Int.self, default: defaults.maxPositions),
            tieWordEmbeddings: try defaulted("tie_word_embeddings", Bool.self, default: false),
            attentionBias: modelType == "qwen2" ? true : (explicitBias ?? false),
            hiddenActivation: try defaulted("hidden_act", String.self, default: "silu"),
            mlpBias: try defaulted("mlp_bias", Bool.self, default: false),
            slidingWindow: window,
            bosTokenID: try? c.decodeIfPresent(Int.self, forKey: ConfigKey("bos_token_id")),
            eosTokenIDs: eos,
            initializerRange: try defaulted("initializer_range", Double.self, default: 0.02),
            dtype: (try? value("torch_dtype", String.self)) ?? (try? value("dtype", String.self)))
    }

    /// Encodes an HF `config.json` object that both transformers 5 (`rope_parameters`) and
    /// older versions (`rope_theta`, `rope_scaling`) read.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: ConfigKey.self)
        let architecture: String
        switch modelType {
        case "mistral": architecture = "MistralForCausalLM"
        case "qwen2": architecture = "Qwen2ForCausalLM"
        default: architecture = "LlamaForCausalLM"
        }
        try c.encode([architecture], forKey: ConfigKey("architectures"))
        try c.encode(modelType, forKey: ConfigKey("model_type"))
        try c.encode(vocabularySize, forKey: ConfigKey("vocab_size"))
        try c.encode(hiddenSize, forKey: ConfigKey("hidden_size"))
        try c.encode(intermediateSize, forKey: ConfigKey("intermediate_size"))
        try c.encode(layerCount, forKey: ConfigKey("num_hidden_layers"))
        try c.encode(attentionHeads, forKey: ConfigKey("num_attention_heads"))
        try c.encode(keyValueHeads, forKey: ConfigKey("num_key_value_heads"))
        try c.encode(headDimension, forKey: ConfigKey("head_dim"))
        try c.encode(rmsNormEpsilon, forKey: ConfigKey("rms_norm_eps"))
        try c.encode(maxPositionEmbeddings, forKey: ConfigKey("max_position_embeddings"))
        try c.encode(tieWordEmbeddings, forKey: ConfigKey("tie_word_embeddings"))
        try c.encode(hiddenActivation, forKey: ConfigKey("hidden_act"))
        try c.encode(initializerRange, forKey: ConfigKey("initializer_range"))
        try c.encodeIfPresent(dtype, forKey: ConfigKey("dtype"))
        if modelType == "qwen2" {
            try c.encode(slidingWindow != nil, forKey: ConfigKey("use_sliding_window"))
        } else {
            try c.encode(attentionBias, forKey: ConfigKey("attention_bias"))
            try c.encode(mlpBias, forKey: ConfigKey("mlp_bias"))
        }
        if modelType != "llama" { try c.encode(slidingWindow, forKey: ConfigKey("sliding_window")) }
        try c.encodeIfPresent(bosTokenID, forKey: ConfigKey("bos_token_id"))
        if eosTokenIDs.count == 1 {
            try c.encode(eosTokenIDs[0], forKey: ConfigKey("eos_token_id"))
        } else if !eosTokenIDs.isEmpty {
            try c.encode(eosTokenIDs, forKey: ConfigKey("eos_token_id"))
        }
        try c.encode(ropeTheta, forKey: ConfigKey("rope_theta"))
        var parameters = RopeParameters(ropeType: ropeScaling == nil ? "default" : "llama3", ropeTheta: ropeTheta)
        if let scaling = ropeScaling {
            parameters.factor = scaling.factor
            parameters.lowFreqFactor = scaling.lowFrequencyFactor
            parameters.highFreqFactor = scaling.highFrequencyFactor
            parameters.originalMaxPositionEmbeddings = scaling.originalMaxPositionEmbeddings
            var legacy = parameters
            legacy.ropeTheta = nil
            try c.encode(legacy, forKey: ConfigKey("rope_scaling"))
        }
        try c.encode(parameters, forKey: ConfigKey("rope_parameters"))
    }

    /// Decodes `config.json` from `data`.
    ///
    /// - Parameter file: the path named in errors.
    /// - Throws: `ModelError.malformedConfiguration` for JSON or type errors (naming the key), or
    ///   `ModelError.invalidConfiguration` for unsupported settings. Does not call `validate()`.
    public static func decode(_ data: Data, file: String) throws -> LlamaConfiguration {
        do {
            return try JSONDecoder().decode(LlamaConfiguration.self, from: data)
        } catch let error as ModelError {
            throw error
        } catch let DecodingError.keyNotFound(key, _) {
            throw ModelError.malformedConfiguration(file: file, reason: "key \(key.stringValue) is missing; a model's config.json must give vocab_size, hidden_size, intermediate_size, num_hidden_layers and num_attention_heads (re-download or re-export the model)")
        } catch let DecodingError.typeMismatch(type, context) {
            throw ModelError.malformedConfiguration(file: file, reason: "key \(Self.path(context)) is not a \(type)")
        } catch let DecodingError.valueNotFound(type, context) {
            throw ModelError.malformedConfiguration(file: file, reason: "key \(Self.path(context)) is null, expected a \(type)")
        } catch let DecodingError.dataCorrupted(context) {
            let underlying = context.underlyingError.map { " (\($0.localizedDescription))" } ?? ""
            throw ModelError.malformedConfiguration(file: file, reason: "not valid JSON: \(context.debugDescription)\(underlying)")
        } catch {
            throw ModelError.malformedConfiguration(file: file, reason: "\(error)")
        }
    }

    /// The bytes of the `config.json` at `url`, read with a bound: a file over
    /// `ModelLimits.maxConfigurationBytes` is refused without being read into memory.
    /// - Throws: `ModelError.malformedConfiguration` naming the file.
    public static func readData(contentsOf url: URL) throws -> Data {
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            data = try handle.read(upToCount: ModelLimits.maxConfigurationBytes + 1) ?? Data()
        } catch {
            throw ModelError.malformedConfiguration(file: url.path, reason: "cannot read the file (\(error.localizedDescription))")
        }
        guard data.count <= ModelLimits.maxConfigurationBytes else {
            throw ModelError.malformedConfiguration(file: url.path, reason: "is larger than \(ModelLimits.maxConfigurationBytes) bytes; a model's config.json is a few kilobytes, so check the file")
        }
        return data
    }

    /// Reads, decodes and validates `config.json` at `url`.
    public static func load(contentsOf url: URL) throws -> LlamaConfiguration {
        let data = try readData(contentsOf: url)
        let configuration = try decode(data, file: url.path)
        try configuration.validate()
        return configuration
    }

    /// The configuration as pretty-printed, key-sorted `config.json` bytes.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    private static func path(_ context: DecodingError.Context) -> String {
        context.codingPath.map(\.stringValue).joined(separator: ".")
    }
}

/// `rope_parameters` / `rope_scaling` as HF writes them.
struct RopeParameters: Codable, Equatable, CustomStringConvertible {
    var ropeType: String?
    var ropeTheta: Double?
    var factor: Double?
    var lowFreqFactor: Double?
    var highFreqFactor: Double?
    var originalMaxPositionEmbeddings: Int?

    init(ropeType: String?, ropeTheta: Double?) {
        self.ropeType = ropeType
        self.ropeTheta = ropeTheta
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        // Old files spell the type "type".
        ropeType = try c.decodeIfPresent(String.self, forKey: ConfigKey("rope_type"))
            ?? c.decodeIfPresent(String.self, forKey: ConfigKey("type"))
        ropeTheta = try c.decodeIfPresent(Double.self, forKey: ConfigKey("rope_theta"))
        factor = try c.decodeIfPresent(Double.self, forKey: ConfigKey("factor"))
        lowFreqFactor = try c.decodeIfPresent(Double.self, forKey: ConfigKey("low_freq_factor"))
        highFreqFactor = try c.decodeIfPresent(Double.self, forKey: ConfigKey("high_freq_factor"))
        originalMaxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: ConfigKey("original_max_position_embeddings"))
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: ConfigKey.self)
        try c.encodeIfPresent(ropeType, forKey: ConfigKey("rope_type"))
        try c.encodeIfPresent(ropeTheta, forKey: ConfigKey("rope_theta"))
        try c.encodeIfPresent(factor, forKey: ConfigKey("factor"))
        try c.encodeIfPresent(lowFreqFactor, forKey: ConfigKey("low_freq_factor"))
        try c.encodeIfPresent(highFreqFactor, forKey: ConfigKey("high_freq_factor"))
        try c.encodeIfPresent(originalMaxPositionEmbeddings, forKey: ConfigKey("original_max_position_embeddings"))
    }

    var description: String {
        "{rope_type: \(ropeType ?? "nil"), factor: \(factor.map { "\($0)" } ?? "nil"), low_freq_factor: \(lowFreqFactor.map { "\($0)" } ?? "nil"), high_freq_factor: \(highFreqFactor.map { "\($0)" } ?? "nil"), original_max_position_embeddings: \(originalMaxPositionEmbeddings.map { "\($0)" } ?? "nil")}"
    }
}
