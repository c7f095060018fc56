import Foundation
import IRPOFormats
import IRPOModel
import IRPOTokenizer

/// Where a model's weights and tokenizer are read from; the one way every command and the
/// pipeline open a model path.
///
/// A path is one of:
/// - a Hugging Face folder: `config.json` + safetensors weights, with the tokenizer in
///   `irpo_char_vocab.json`, else `tokenizer.json` (+ `tokenizer_config.json`,
///   `chat_template.jinja`, `generation_config.json`), else the metadata of the one `.gguf` file
///   in the folder;
/// - a `.gguf` file (by name or by its magic): weights, tokenizer, chat template, special tokens
///   and end-of-sequence id all come from the file;
/// - a folder without `config.json` that holds exactly one `.gguf` file: that file.
///
/// A folder with neither `config.json` nor a `.gguf` file is taken as a Hugging Face folder
/// (its tokenizer alone can be read); loading its weights fails naming `config.json`.
public struct ModelSource: Sendable, CustomStringConvertible {
    /// How the weights are stored.
    public enum Format: Sendable, Equatable {
        /// `config.json` + safetensors.
        case huggingFaceFolder
        /// One GGUF file.
        case gguf
    }

    /// The path as given.
    public let path: String
    /// How the weights are stored.
    public let format: Format
    /// The folder (Hugging Face) or the `.gguf` file the weights are read from.
    public let weights: URL

    /// The file name of the tokenizer-only GGUF written next to a model whose GGUF vocabulary has
    /// no `tokenizer.json` translation.
    public static let tokenizerGGUFName = "tokenizer.gguf"

    /// Resolves `path`.
    /// - Throws: `ModelSourceError` saying what was looked for when `path` is none of the accepted forms.
    public init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard !path.isEmpty, FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ModelSourceError("model \(path.isEmpty ? "\"\"" : path) does not exist; pass a Hugging Face model folder (config.json + model.safetensors + tokenizer.json), a .gguf file, or a folder holding one .gguf file")
        }
        guard isDirectory.boolValue else {
            guard LlamaModel.isGGUFPath(url.path) else {
                throw ModelSourceError("model \(path) is a file but not a GGUF file (its name does not end in .gguf and it does not start with the GGUF magic); pass a .gguf file or a Hugging Face model folder")
            }
            format = .gguf
            weights = url
            return
        }
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("config.json").path) {
            format = .huggingFaceFolder
            weights = url
            return
        }
        let candidates = Self.ggufFiles(in: url)
        if candidates.isEmpty {
            format = .huggingFaceFolder
            weights = url
            return
        }
        guard candidates.count == 1, let only = candidates.first else {
            throw ModelSourceError("model folder \(path) has no config.json and several .gguf files (\(candidates.map(\.lastPathComponent).joined(separator: ", "))); pass one of them as the model")
        }
        format = .gguf
        weights = only
    }

    public var description: String { path }

    /// The `.gguf` files directly inside `folder`, sorted by name.
    static func ggufFiles(in folder: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.lowercased().hasSuffix(".gguf") }.sorted().map { folder.appendingPathComponent($0) }
            .filter { LlamaModel.isGGUFPath($0.path) }
    }

    // MARK: Weights

    /// Loads the weights (GGUF: dequantised to Float).
    public func loadModel() throws -> LlamaModel {
        try LlamaModel.loadModel(path: weights.path)
    }

    /// Loads the weights as a frozen base for LoRA training: a GGUF keeps its quantised
    /// projections as stored (see `LlamaModel.loadFrozenBase(path:)`), a Hugging Face folder
    /// loads as Float.
    public func loadFrozenBase() throws -> LlamaModel {
        try LlamaModel.loadFrozenBase(path: weights.path)
    }

    /// The model configuration, without loading the weights.
    public func configuration() throws -> LlamaConfiguration {
        switch format {
        case .gguf:
            return try LlamaConfiguration(gguf: try GGUFFile(contentsOf: weights))
        case .huggingFaceFolder:
            let file = weights.appendingPathComponent("config.json")
            let data: Data
            do { data = try Data(contentsOf: file) } catch {
                throw ModelSourceError("model folder \(path) has no readable config.json (looked for \(file.path), and for a .gguf file in the folder); pass a Hugging Face folder (config.json + model.safetensors + tokenizer.json) or a .gguf file")
            }
            return try LlamaConfiguration.decode(data, file: file.path)
        }
    }

    /// The configuration's first end-of-sequence id, appended to completions.
    public func endOfSequence() throws -> Int32? {
        try configuration().eosTokenIDs.first.map { Int32(truncatingIfNeeded: $0) }
    }

    // MARK: Tokenizer

    /// Where the tokenizer is read from: the GGUF file, a folder's `tokenizer.json`, the demo's
    /// character vocabulary, or the one `.gguf` in a Hugging Face folder.
    enum TokenizerLocation {
        case characterVocabulary(URL)
        case huggingFace(URL)
        case gguf(URL)
    }

    /// Whether the model has a tokenizer (token-id data needs none).
    public var hasTokenizer: Bool { (try? tokenizerLocation()) != nil }

    func tokenizerLocation() throws -> TokenizerLocation {
        if format == .gguf { return .gguf(weights) }
        let characters = weights.appendingPathComponent(CharacterTokenizer.fileName)
        if FileManager.default.fileExists(atPath: characters.path) { return .characterVocabulary(characters) }
        if FileManager.default.fileExists(atPath: weights.appendingPathComponent("tokenizer.json").path) { return .huggingFace(weights) }
        let candidates = Self.ggufFiles(in: weights)
        if candidates.count == 1, let only = candidates.first { return .gguf(only) }
        throw ModelSourceError("model folder \(path) has no tokenizer: looked for tokenizer.json, \(CharacterTokenizer.fileName) and a single .gguf file with tokenizer metadata"
            + (candidates.isEmpty ? "" : " (found several: \(candidates.map(\.lastPathComponent).joined(separator: ", ")))")
            + "; copy the tokenizer files into the model folder")
    }

    /// The tokenizer as the pipeline and the engine use it: prompts with BOS, completions with EOS.
    /// - Parameter promptsIncludeSpecialTokens: prompts are rendered chat templates (see
    ///   `HuggingFaceTextTokenizer.promptsIncludeSpecialTokens`).
    public func textTokenizer(promptsIncludeSpecialTokens: Bool = false) throws -> any TextTokenizer {
        try textTokenizer(endOfSequence: try endOfSequence(), promptsIncludeSpecialTokens: promptsIncludeSpecialTokens)
    }

    /// The tokenizer with an explicit end-of-sequence id (`nil`: completions get none).
    public func textTokenizer(endOfSequence eos: Int32?, promptsIncludeSpecialTokens: Bool = false) throws -> any TextTokenizer {
        switch try tokenizerLocation() {
        case .characterVocabulary(let file):
            return try CharacterTokenizer(contentsOf: file)
        case .huggingFace(let url), .gguf(let url):
            return HuggingFaceTextTokenizer(tokenizer: try Tokenizer(contentsOf: url), endOfSequence: eos,
                                            promptsIncludeSpecialTokens: promptsIncludeSpecialTokens)
        }
    }

    /// The full tokenizer (with chat template and special tokens), or nil when the model has only
    /// the demo's character vocabulary.
    public func tokenizer() throws -> Tokenizer? {
        switch try tokenizerLocation() {
        case .characterVocabulary: return nil
        case .huggingFace(let url), .gguf(let url): return try Tokenizer(contentsOf: url)
        }
    }

    /// End-of-sequence ids beyond the configuration's: a folder's `generation_config.json`
    /// `eos_token_id` (a number or a list); none for a GGUF file.
    public func generationConfigEOS() -> Set<Int32> {
        guard format == .huggingFaceFolder else { return [] }
        let url = weights.appendingPathComponent("generation_config.json")
        guard let data = try? Data(contentsOf: url),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [] }
        if let single = object["eos_token_id"] as? Int { return [Int32(truncatingIfNeeded: single)] }
        if let list = object["eos_token_id"] as? [Int] { return Set(list.map { Int32(truncatingIfNeeded: $0) }) }
        return []
    }

    // MARK: Copies

    /// Writes this model's tokenizer files into the Hugging Face folder `destination` (a model
    /// trained from this one): a folder's tokenizer files are copied; a GGUF's vocabulary becomes
    /// tokenizer.json, tokenizer_config.json (with the chat template) and generation_config.json,
    /// or, for vocabularies without a tokenizer.json translation, a tokenizer-only
    /// `tokenizer.gguf` that `ModelSource` reads back.
    public func writeTokenizerFiles(to destination: URL) throws {
        switch try tokenizerLocation() {
        case .characterVocabulary, .huggingFace:
            try Self.copyCompanionFiles(from: weights, to: destination)
        case .gguf(let file):
            let gguf = try GGUFFile(contentsOf: file)
            let configuration = try? LlamaConfiguration(gguf: gguf)
            if let configuration {
                _ = try TokenizerFiles.writeHuggingFaceFiles(metadata: gguf.metadata, configuration: configuration,
                                                             folder: destination, source: file.path)
            }
            guard !FileManager.default.fileExists(atPath: destination.appendingPathComponent("tokenizer.json").path) else { return }
            var metadata: [(key: String, value: GGUFValue)] = [
                (key: "general.architecture", value: .string(gguf["general.architecture"]?.stringValue ?? "llama")),
            ]
            metadata += LlamaModel.ggufTokenizerMetadata(of: gguf)
            try GGUFWriter.write(metadata: metadata, tensors: [], to: destination.appendingPathComponent(Self.tokenizerGGUFName))
        }
    }

    /// The tokenizer files copied along with a trained model.
    public static let companionFiles = [
        CharacterTokenizer.fileName, "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
        "generation_config.json", "chat_template.jinja", tokenizerGGUFName,
    ]

    /// Copies the tokenizer files of the folder `source` into `destination` (existing ones are replaced).
    public static func copyCompanionFiles(from source: URL, to destination: URL) throws {
        let manager = FileManager.default
        for name in companionFiles {
            let from = source.appendingPathComponent(name)
            guard manager.fileExists(atPath: from.path) else { continue }
            let to = destination.appendingPathComponent(name)
            try? manager.removeItem(at: to)
            do { try manager.copyItem(at: from, to: to) } catch {
                throw ModelSourceError("\(to.path): cannot copy \(name) from \(source.path) (\(error.localizedDescription)); check free space and permissions")
            }
        }
    }

    /// The `tokenizer.*` GGUF metadata of this model (for a GGUF export): copied from a GGUF file,
    /// else built from the folder's tokenizer.json or character vocabulary; empty, with a note,
    /// when the tokenizer.json has no GGUF translation.
    public func ggufTokenizerMetadata() throws -> (metadata: [(key: String, value: GGUFValue)], note: String?) {
        switch try tokenizerLocation() {
        case .gguf(let file):
            return (LlamaModel.ggufTokenizerMetadata(of: try GGUFFile(contentsOf: file)), nil)
        case .huggingFace(let folder):
            let (metadata, note) = try TokenizerFiles.ggufMetadata(folder: folder)
            return (metadata, note)
        case .characterVocabulary(let file):
            return (try CharacterTokenizer(contentsOf: file).ggufMetadata(), nil)
        }
    }
}
