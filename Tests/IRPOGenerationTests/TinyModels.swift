import IRPOModel

/// Tiny random models covering the architecture variants (GQA, MHA with untied head, qwen2
/// biases, a single kv head with a large rope theta, llama3 rope scaling).
enum TinyModels {
    static func configuration(_ name: String) -> LlamaConfiguration {
        switch name {
        case "llama-untied-mha":
            return LlamaConfiguration(vocabularySize: 97, hiddenSize: 32, intermediateSize: 48, layerCount: 2,
                                      attentionHeads: 4, keyValueHeads: 4, maxPositionEmbeddings: 128, tieWordEmbeddings: false)
        case "qwen2-bias":
            return LlamaConfiguration(modelType: "qwen2", vocabularySize: 97, hiddenSize: 32, intermediateSize: 48, layerCount: 2,
                                      attentionHeads: 4, keyValueHeads: 2, maxPositionEmbeddings: 128, tieWordEmbeddings: true)
        case "mistral-one-kv-head":
            return LlamaConfiguration(modelType: "mistral", vocabularySize: 97, hiddenSize: 32, intermediateSize: 48, layerCount: 2,
                                      attentionHeads: 4, keyValueHeads: 1, ropeTheta: 1e6, maxPositionEmbeddings: 128)
        case "llama3-rope-scaling":
            return LlamaConfiguration(vocabularySize: 97, hiddenSize: 32, intermediateSize: 48, layerCount: 2,
                                      attentionHeads: 4, keyValueHeads: 2,
                                      ropeScaling: .init(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalMaxPositionEmbeddings: 32),
                                      maxPositionEmbeddings: 128, tieWordEmbeddings: true)
        default:  // "llama-tied-gqa"
            return LlamaConfiguration(vocabularySize: 97, hiddenSize: 32, intermediateSize: 48, layerCount: 2,
                                      attentionHeads: 4, keyValueHeads: 2, maxPositionEmbeddings: 128, tieWordEmbeddings: true)
        }
    }

    static let names = ["llama-tied-gqa", "llama-untied-mha", "qwen2-bias", "mistral-one-kv-head", "llama3-rope-scaling"]

    /// A random model; `std` larger than transformers' 0.02 so logits are far from uniform and
    /// sampling/greedy tests see peaked, position-dependent distributions.
    static func model(_ name: String, seed: UInt64 = 1, std: Float = 0.25) throws -> LlamaModel {
        let model = try LlamaModel(configuration: configuration(name))
        model.parameters.initializeRandomly(seed: seed, std: std)
        if model.configuration.attentionBias {
            // Non-zero biases, so the bias path is exercised.
            var generator = SplitMix(state: seed)
            for layer in 0..<model.configuration.layerCount {
                for kind in [ParameterKind.queryBias, .keyBias, .valueBias] {
                    let view = model.parameters.view(kind, layer: layer)
                    for i in view.indices { view[i] = Float(generator.nextDouble() - 0.5) }
                }
            }
        }
        return model
    }

    /// Random token ids.
    static func tokens(_ count: Int, seed: UInt64, vocabulary: Int = 97) -> [Int32] {
        var generator = SplitMix(state: seed)
        return (0..<count).map { _ in Int32(generator.next() % UInt64(vocabulary)) }
    }
}
