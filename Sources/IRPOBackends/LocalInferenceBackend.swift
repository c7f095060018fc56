import Foundation
import IRPOGeneration
import IRPOLoading
import IRPOModel
import IRPOTokenizer

/// The built-in engine as an `InferenceBackend`: `IRPOGeneration`'s batched generator over a
/// model (Hugging Face folder or GGUF, see `ModelSource`) loaded into memory.
public final class LocalInferenceBackend: InferenceBackend {
    /// The model.
    public let model: LlamaModel
    /// Its tokenizer.
    public let tokenizer: any TextTokenizer
    /// KV-cache slots.
    public let batchSize: Int
    public let name: String
    /// How the decode kernel holds the weights (`.q8_0`: generations of the Q8_0-quantised model).
    public let decodeWeights: DecodeWeightFormat

    /// Loads the model at `folder`: any path `ModelSource` accepts (an HF folder with a
    /// tokenizer, a `.gguf` file, a folder holding one); `chatPrompts`: prompts are rendered chat
    /// templates, encoded without adding special tokens.
    public convenience init(modelFolder folder: URL, batchSize: Int, chatPrompts: Bool = false,
                            decodeWeights: DecodeWeightFormat = .f32) throws {
        try self.init(source: try ModelSource(path: folder.path), batchSize: batchSize, chatPrompts: chatPrompts,
                      decodeWeights: decodeWeights)
    }

    /// Loads the model of `source` (see `init(modelFolder:batchSize:chatPrompts:)`).
    public convenience init(source: ModelSource, batchSize: Int, chatPrompts: Bool = false,
                            decodeWeights: DecodeWeightFormat = .f32) throws {
        let tokenizer = try source.textTokenizer(promptsIncludeSpecialTokens: chatPrompts)
        try self.init(model: try source.loadModel(), tokenizer: tokenizer, batchSize: batchSize, name: "local:\(source.path)",
                      decodeWeights: decodeWeights)
    }

    /// Wraps a model already in memory.
    public init(model: LlamaModel, tokenizer: any TextTokenizer, batchSize: Int, name: String,
                decodeWeights: DecodeWeightFormat = .f32) throws {
        guard batchSize >= 1 else { throw BackendError("sampling batch size \(batchSize) must be >= 1") }
        self.decodeWeights = decodeWeights
        self.model = model
        self.tokenizer = tokenizer
        self.batchSize = batchSize
        self.name = name
    }

    public func complete(prompts: [String], promptIDs: [Int], parameters: GenerateParameters, samplesPerPrompt: Int,
                         progress: (Int, Int) -> Void,
                         promptFinished: (Int, [BackendCompletion]) throws -> Void) throws -> [[BackendCompletion]] {
        let generator = Generator(model: model, maxBatchSize: batchSize, tokenizer: tokenizer, decodeWeights: decodeWeights)
        let encoded = prompts.map { tokenizer.encodePrompt($0) }
        let context = model.configuration.maxPositionEmbeddings
        if let long = encoded.firstIndex(where: { $0.count + parameters.maxNewTokens > context }) {
            throw BackendError("prompt \(promptIDs[long]) has \(encoded[long].count) tokens; with max_new_tokens \(parameters.maxNewTokens) it exceeds the model's context of \(context) tokens; lower max_new_tokens")
        }
        let total = prompts.count * samplesPerPrompt
        var finished = 0
        var completions = [[BackendCompletion?]](repeating: [BackendCompletion?](repeating: nil, count: samplesPerPrompt), count: prompts.count)
        // Streamed state of the unfinished samples: text released so far and token count.
        var texts: [Int: [Int: (text: String, tokens: Int)]] = [:]
        var doneSamples = [Int](repeating: 0, count: prompts.count)
        var callbackError: (any Error)?
        // Prompts go to the generator in chunks, so that an error thrown by `promptFinished` (an
        // interrupted run) stops the work after the current chunk instead of at the very end. A
        // sample depends only on (seed, prompt id, sample index), so chunking changes no sample.
        let chunk = max(1, (16 * batchSize) / samplesPerPrompt)
        var start = 0
        try withoutActuallyEscaping(progress) { report in
            try withoutActuallyEscaping(promptFinished) { finish in
                while start < prompts.count, callbackError == nil {
                    let range = start..<min(prompts.count, start + chunk)
                    let results = try generator.generate(
                        prompts: Array(encoded[range]), parameters: parameters, samplesPerPrompt: samplesPerPrompt,
                        promptIDs: Array(promptIDs[range])
                    ) { event in
                        let prompt = range.lowerBound + event.promptIndex
                        var entry = texts[prompt, default: [:]][event.sampleIndex] ?? (text: "", tokens: 0)
                        entry.text += event.text ?? ""
                        entry.tokens += 1
                        guard let reason = event.finishReason else {
                            texts[prompt, default: [:]][event.sampleIndex] = entry
                            return
                        }
                        texts[prompt]?[event.sampleIndex] = nil
                        // The released pieces add up to the result's text (the generator always has a tokenizer here).
                        completions[prompt][event.sampleIndex] = BackendCompletion(text: entry.text, tokenCount: entry.tokens, finishReason: reason)
                        finished += 1
                        if finished % 64 == 0 || finished == total { report(finished, total) }
                        doneSamples[prompt] += 1
                        guard doneSamples[prompt] == samplesPerPrompt, callbackError == nil else { return }
                        texts[prompt] = nil
                        do { try finish(prompt, completions[prompt].compactMap { $0 }) } catch { callbackError = error }
                    }
                    // The generator's results are authoritative (text cut at stop strings, decoded tokens).
                    for (offset, row) in results.enumerated() {
                        for result in row {
                            completions[range.lowerBound + offset][result.sampleIndex] = BackendCompletion(
                                text: result.text ?? tokenizer.decode(result.tokens.map(Int.init)),
                                tokenCount: result.tokens.count, finishReason: result.finishReason)
                        }
                    }
                    start = range.upperBound
                }
            }
        }
        if let callbackError { throw callbackError }
        return completions.map { $0.compactMap { $0 } }
    }
}
