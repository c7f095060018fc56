import Foundation
import IRPOGeneration
import IRPOModel

/// The built-in engine as an `InferenceBackend`: `IRPOGeneration`'s batched generator over a
/// model folder loaded into memory.
public final class LocalInferenceBackend: InferenceBackend {
    /// The model.
    public let model: LlamaModel
    /// Its tokenizer.
    public let tokenizer: any TextTokenizer
    /// KV-cache slots.
    public let batchSize: Int
    public let name: String

    /// Loads `folder` (HF folder with a tokenizer).
    public convenience init(modelFolder folder: URL, batchSize: Int) throws {
        let model = try LlamaModel.loadModel(path: folder.path)
        let eos = model.configuration.eosTokenIDs.first.map { Int32(truncatingIfNeeded: $0) }
        try self.init(model: model, tokenizer: TokenizerLoader.load(modelFolder: folder, endOfSequence: eos),
                      batchSize: batchSize, name: "local:\(folder.path)")
    }

    /// Wraps a model already in memory.
    public init(model: LlamaModel, tokenizer: any TextTokenizer, batchSize: Int, name: String) throws {
        guard batchSize >= 1 else { throw BackendError("sampling batch size \(batchSize) must be >= 1") }
        self.model = model
        self.tokenizer = tokenizer
        self.batchSize = batchSize
        self.name = name
    }

    public func complete(prompts: [String], promptIDs: [Int], parameters: GenerateParameters, samplesPerPrompt: Int,
                         progress: (Int, Int) -> Void,
                         promptFinished: (Int, [BackendCompletion]) throws -> Void) throws -> [[BackendCompletion]] {
        let generator = Generator(model: model, maxBatchSize: batchSize, tokenizer: tokenizer)
        let encoded = prompts.map { tokenizer.encodePrompt($0) }
        let context = model.configuration.maxPositionEmbeddings
        if let long = encoded.firstIndex(where: { $0.count + parameters.maxNewTokens > context }) {
            throw BackendError("prompt \(promptIDs[long]) has \(encoded[long].count) tokens; with max_new_tokens \(parameters.maxNewTokens) it exceeds the model's context of \(context) tokens; lower max_new_tokens")
        }
        let total = prompts.count * samplesPerPrompt
        var finished = 0
        let results = try withoutActuallyEscaping(progress) { report in
            try generator.generate(prompts: encoded, parameters: parameters, samplesPerPrompt: samplesPerPrompt,
                                   promptIDs: promptIDs) { event in
                if event.finishReason != nil {
                    finished += 1
                    if finished % 64 == 0 || finished == total { report(finished, total) }
                }
            }
        }
        // TODO(pipeline): report prompts as they finish, not all at the end.
        let completions = results.map { row in
            row.map { result in
                BackendCompletion(text: result.text ?? tokenizer.decode(result.tokens.map(Int.init)),
                                  tokenCount: result.tokens.count, finishReason: result.finishReason)
            }
        }
        for (index, row) in completions.enumerated() { try promptFinished(index, row) }
        return completions
    }
}
