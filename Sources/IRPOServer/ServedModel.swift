import Foundation
import IRPOGeneration
import IRPOLoading
import IRPOModel
import IRPOTokenizer

/// A model with its tokenizer and chat formatting, as the server uses it.
///
/// Text prompts are encoded exactly as `LocalInferenceBackend` encodes them
/// (`TextTokenizer.encodePrompt`: with BOS when the tokenizer uses one), and generation stops on
/// the same end-of-sequence ids (the configuration's `eos_token_id`), so a seeded request gives
/// the local engine's samples.
public struct ServedModel: Sendable {
    /// The weights.
    public let model: LlamaModel
    /// Encodes prompts and decodes completions.
    public let tokenizer: any TextTokenizer
    /// Renders chat messages into a prompt.
    public let chat: ChatFormatter

    /// Wraps a model already in memory.
    /// - Parameter chat: defaults to `ChatFormatter.plain` over `tokenizer`.
    public init(model: LlamaModel, tokenizer: any TextTokenizer, chat: ChatFormatter? = nil) {
        self.model = model
        self.tokenizer = tokenizer
        self.chat = chat ?? .plain(tokenizer)
    }

    /// Loads any model path `ModelSource` accepts: a Hugging Face folder (with `tokenizer.json` or
    /// the demo's `irpo_char_vocab.json`), a GGUF file (tokenizer and chat template from its
    /// metadata) or a folder holding one.
    /// - Throws: `ModelError`, `FormatError`, `TokenizerError` or `ModelSourceError` naming the file at fault.
    public static func load(path: String) throws -> ServedModel {
        let source = try ModelSource(path: path)
        let tokenizer = try source.textTokenizer()
        let model = try source.loadModel()
        if let wrapped = tokenizer as? HuggingFaceTextTokenizer, wrapped.tokenizer.configuration.chatTemplate != nil {
            return ServedModel(model: model, tokenizer: tokenizer, chat: .template(wrapped.tokenizer))
        }
        return ServedModel(model: model, tokenizer: tokenizer)
    }

    /// The context window in tokens.
    public var contextLength: Int { model.configuration.maxPositionEmbeddings }
    /// The vocabulary size of the model.
    public var vocabularySize: Int { model.configuration.vocabularySize }
}
