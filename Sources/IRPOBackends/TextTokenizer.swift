import Foundation
import IRPOGeneration
import IRPOTokenizer

/// What the pipeline needs from a tokenizer: prompts with BOS, completions with EOS, and decode.
public protocol TextTokenizer: GenerationTokenizer {
    /// Prompt ids; `addSpecialTokens: false` adds no BOS (HF's `add_special_tokens=False`, for
    /// text that already holds its special tokens, such as a rendered chat template).
    func encodePrompt(_ text: String, addSpecialTokens: Bool) -> [Int32]
    /// Completion ids followed by the end-of-sequence token (so the model learns to stop).
    func encodeCompletion(_ text: String) -> [Int32]
}

extension TextTokenizer {
    /// Prompt ids, with the beginning-of-sequence token if the tokenizer uses one.
    public func encodePrompt(_ text: String) -> [Int32] { encodePrompt(text, addSpecialTokens: true) }
}

/// A Hugging Face `tokenizer.json` tokenizer used as a `TextTokenizer`.
public struct HuggingFaceTextTokenizer: TextTokenizer {
    /// The wrapped tokenizer.
    public let tokenizer: Tokenizer
    /// Appended to completions.
    public let endOfSequence: Int32?
    /// Prompts are rendered chat templates that write their own special tokens: encode them without
    /// adding BOS again, as transformers' `apply_chat_template` does.
    public let promptsIncludeSpecialTokens: Bool

    public init(tokenizer: Tokenizer, endOfSequence: Int32?, promptsIncludeSpecialTokens: Bool = false) {
        self.tokenizer = tokenizer
        self.endOfSequence = endOfSequence
        self.promptsIncludeSpecialTokens = promptsIncludeSpecialTokens
    }

    public func encodePrompt(_ text: String, addSpecialTokens: Bool) -> [Int32] {
        tokenizer.encode(text, addSpecialTokens: addSpecialTokens && !promptsIncludeSpecialTokens).map { Int32(truncatingIfNeeded: $0) }
    }

    public func encodeCompletion(_ text: String) -> [Int32] {
        tokenizer.encode(text, addSpecialTokens: false).map { Int32(truncatingIfNeeded: $0) } + (endOfSequence.map { [$0] } ?? [])
    }

    public func decode(_ tokens: [Int]) -> String { tokenizer.decode(tokens) }
}

/// Loads the tokenizer that belongs to a model folder.
public enum TokenizerLoader {
    /// `irpo_char_vocab.json` (the demo's character vocabulary) if present, else `tokenizer.json`.
    /// - Parameter promptsIncludeSpecialTokens: prompts are rendered chat templates (see
    ///   `HuggingFaceTextTokenizer.promptsIncludeSpecialTokens`).
    /// - Throws: `BackendError` when the folder has neither.
    public static func load(modelFolder: URL, endOfSequence: Int32?, promptsIncludeSpecialTokens: Bool = false) throws -> any TextTokenizer {
        let characterFile = modelFolder.appendingPathComponent(CharacterTokenizer.fileName)
        if FileManager.default.fileExists(atPath: characterFile.path) {
            return try CharacterTokenizer(contentsOf: characterFile)
        }
        let json = modelFolder.appendingPathComponent("tokenizer.json")
        guard FileManager.default.fileExists(atPath: json.path) else {
            throw BackendError("\(modelFolder.path) has no tokenizer.json (nor \(CharacterTokenizer.fileName)); copy the tokenizer files into the model folder")
        }
        return HuggingFaceTextTokenizer(tokenizer: try Tokenizer(contentsOf: modelFolder), endOfSequence: endOfSequence,
                                        promptsIncludeSpecialTokens: promptsIncludeSpecialTokens)
    }

    /// The tokenizer files copied along with a trained model.
    public static let companionFiles = [
        CharacterTokenizer.fileName, "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
        "generation_config.json", "chat_template.jinja",
    ]

    /// Copies the tokenizer files of `source` into `destination` (existing ones are replaced).
    public static func copyCompanionFiles(from source: URL, to destination: URL) throws {
        let manager = FileManager.default
        for name in companionFiles {
            let from = source.appendingPathComponent(name)
            guard manager.fileExists(atPath: from.path) else { continue }
            let to = destination.appendingPathComponent(name)
            try? manager.removeItem(at: to)
            try manager.copyItem(at: from, to: to)
        }
    }
}
