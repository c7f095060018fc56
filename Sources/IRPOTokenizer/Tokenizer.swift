import Foundation

/// A text tokenizer that reproduces HF `tokenizers` exactly: normalizer, added tokens, pre-tokenizer,
/// BPE model, post-processor and decoder, built from a tokenizer.json or from GGUF vocabulary metadata.
///
/// Thread-safe: encode from several threads at once (the word cache is locked).
public final class Tokenizer: Sendable {
    /// Where the tokenizer came from (for messages).
    public let source: String
    let normalizer: Normalizer?
    let preTokenizer: PreTokenizer?
    let model: BPEModel
    let postProcessor: PostProcessor?
    let decoder: Decoder?
    let addedVocabulary: AddedVocabulary
    /// The added tokens (special or not), by id.
    public let addedTokens: [Int: AddedToken]
    /// Special token ids and the chat template, from tokenizer_config.json or GGUF metadata.
    public let configuration: TokenizerConfiguration

    /// Reads `tokenizer.json` (and, next to it, `tokenizer_config.json` when present) from a model folder,
    /// or the tokenizer of a `.gguf` file.
    public convenience init(contentsOf url: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw TokenizerError(file: url.path, "does not exist; pass a model folder with tokenizer.json, "
                + "a tokenizer.json file or a .gguf file")
        }
        if !isDirectory.boolValue && url.pathExtension.lowercased() == "gguf" {
            try self.init(ggufURL: url)
            return
        }
        let file = isDirectory.boolValue ? url.appendingPathComponent("tokenizer.json") : url
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            throw TokenizerError(file: file.path, "cannot be read (\(error.localizedDescription)); "
                + "the model folder needs the tokenizer.json saved with the model")
        }
        let folder = file.deletingLastPathComponent()
        let configFile = folder.appendingPathComponent("tokenizer_config.json")
        let configData = FileManager.default.fileExists(atPath: configFile.path) ? try? Data(contentsOf: configFile) : nil
        // transformers >= 4.43 saves the chat template in its own file next to tokenizer_config.json.
        let templateFile = folder.appendingPathComponent("chat_template.jinja")
        var chatTemplate: String?
        if FileManager.default.fileExists(atPath: templateFile.path) {
            do {
                chatTemplate = try String(contentsOf: templateFile, encoding: .utf8)
            } catch {
                throw TokenizerError(file: templateFile.path, "cannot be read as UTF-8 text (\(error.localizedDescription)); "
                    + "fix or delete it (the chat template can also live in tokenizer_config.json)")
            }
        }
        try self.init(tokenizerJSON: data, file: file.path, tokenizerConfig: configData,
                      configFile: configFile.path, chatTemplate: chatTemplate)
    }

    /// Builds a tokenizer from the contents of a tokenizer.json (and optionally a tokenizer_config.json).
    /// - Parameters:
    ///   - file: the name used in error messages.
    ///   - chatTemplate: the contents of a `chat_template.jinja`; replaces tokenizer_config.json's
    ///     `chat_template`, as in transformers.
    public convenience init(tokenizerJSON data: Data, file: String = "tokenizer.json", tokenizerConfig: Data? = nil,
                configFile: String = "tokenizer_config.json", chatTemplate: String? = nil) throws {
        let config = try tokenizerConfig.map { try JSONReader(data: $0, file: configFile) }
        try self.init(root: try JSONReader(data: data, file: file), config: config, chatTemplate: chatTemplate)
    }

    /// Builds a tokenizer from parsed tokenizer.json content (also used by the GGUF path, which assembles
    /// the same structure in memory).
    init(root: JSONReader, config: JSONReader?, chatTemplate: String? = nil) throws {
        let file = root.file
        _ = try root.object()
        source = file
        normalizer = try root.optional("normalizer").map(makeNormalizer)
        preTokenizer = try root.optional("pre_tokenizer").map(makePreTokenizer)
        postProcessor = try root.optional("post_processor").map(makePostProcessor)
        decoder = try root.optional("decoder").map(makeDecoder)
        for (key, growth) in [("normalizer", normalizer?.growthBound ?? 1), ("decoder", decoder?.growthBound ?? 1)]
        where growth > TokenizerLimits.maxTextGrowth {
            throw TokenizerError(file: file, "$.\(key) can make text up to \(growth == Int.max ? "unboundedly" : "\(growth) times") longer "
                + "(its Replace stages expand one after another), more than the limit of \(TokenizerLimits.maxTextGrowth); the file is damaged or hostile")
        }
        let modelJSON = try root.required("model")
        let modelType = try modelJSON.optionalString("type") ?? "BPE"
        guard modelType == "BPE" else {
            throw modelJSON.error("unsupported model type \"\(modelType)\"; only BPE is implemented")
        }
        model = try BPEModel(modelJSON, byteLevel: preTokenizer?.isByteLevel ?? false)
        var added: [AddedToken] = []
        let addedEntries = try root.optional("added_tokens")?.array() ?? []
        for entry in addedEntries {
            let id = try entry.int("id")
            guard TokenizerLimits.isAcceptable(id, entries: model.tokens.count + addedEntries.count) else {
                throw entry.error("added token id \(id) is out of range for a vocabulary of \(model.tokens.count) tokens plus \(addedEntries.count) added ones (ids must be below \(min(TokenizerLimits.maxTokenID + 1, model.tokens.count + addedEntries.count + TokenizerLimits.maxIDGap))); the file is damaged")
            }
            added.append(AddedToken(
                id: id, content: try entry.string("content"),
                singleWord: try entry.bool("single_word", default: false),
                leftStrip: try entry.bool("lstrip", default: false), rightStrip: try entry.bool("rstrip", default: false),
                normalized: try entry.bool("normalized", default: true), special: try entry.bool("special", default: false)))
        }
        addedTokens = Dictionary(added.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        addedVocabulary = AddedVocabulary(tokens: added, normalizer: normalizer)
        var configuration = try TokenizerConfiguration(tokenizerConfig: config, resolve: { [model, addedTokens] token in
            addedTokens.values.first { $0.content == token }?.id ?? model.vocabulary[token]
        })
        // As in transformers, the template file replaces any template in tokenizer_config.json.
        if let chatTemplate { configuration.chatTemplate = chatTemplate }
        self.configuration = configuration
    }

    /// Assembles a tokenizer from its stages (used by the GGUF path).
    init(source: String, normalizer: Normalizer?, preTokenizer: PreTokenizer?, model: BPEModel,
         postProcessor: PostProcessor?, decoder: Decoder?, addedTokens: [AddedToken],
         configuration: TokenizerConfiguration) {
        self.source = source
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.model = model
        self.postProcessor = postProcessor
        self.decoder = decoder
        self.addedTokens = Dictionary(addedTokens.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        self.addedVocabulary = AddedVocabulary(tokens: addedTokens, normalizer: normalizer)
        self.configuration = configuration
    }

    /// The number of ids: the model's vocabulary and the added tokens.
    public var vocabularySize: Int { max(model.tokens.count, (addedTokens.keys.max() ?? -1) + 1) }

    /// The token string of `id`, or nil when no token has that id.
    /// An added token comes back as HF's decode sees it: normalized (e.g. "▁REDACTED" for a normalized
    /// "REDACTED" behind Prepend/Replace normalizers) when its `normalized` flag is set.
    public func token(forID id: Int) -> String? {
        if let added = addedTokens[id] {
            guard added.normalized, let normalizer else { return added.content }
            return String(decoding: normalizer.normalize(Array(added.content.utf8)), as: UTF8.self)
        }
        guard id >= 0, id < model.tokens.count else { return nil }
        return model.tokens[id]
    }

    /// The id of a token string, or nil.
    public func id(forToken token: String) -> Int? {
        addedTokens.values.first { $0.content == token }?.id ?? model.vocabulary[token]
    }

    /// Encodes `text` to token ids. With `addSpecialTokens`, the post-processor adds its special tokens
    /// (e.g. BOS), as HF's `add_special_tokens=True` does.
    public func encode(_ text: String, addSpecialTokens: Bool) -> [Int] {
        var ids: [Int] = []
        ids.reserveCapacity(text.utf8.count / 3 + 2)
        for segment in addedVocabulary.splitRaw(Array(text.utf8)) {
            switch segment {
            case .token(let id):
                ids.append(id)
            case .text(let raw, let startsAtOrigin):
                let normalized = normalizer?.normalize(raw) ?? raw
                for piece in addedVocabulary.splitNormalized(normalized, startsAtOrigin: startsAtOrigin) {
                    switch piece {
                    case .token(let id):
                        ids.append(id)
                    case .text(let bytes, let startsAtOrigin):
                        guard !bytes.isEmpty else { continue }  // HF drops empty splits before pre-tokenizing
                        let words = preTokenizer?.preTokenize([PreToken(bytes: bytes, startsAtOrigin: startsAtOrigin)])
                            ?? [PreToken(bytes: bytes, startsAtOrigin: startsAtOrigin)]
                        for word in words { model.tokenize(word.bytes, into: &ids) }
                    }
                }
            }
        }
        if addSpecialTokens, let postProcessor { ids = postProcessor.process(ids) }
        return ids
    }

    /// Encodes several texts, spread over `threads` threads (default: all cores); same ids as `encode`.
    public func encodeBatch(_ texts: [String], addSpecialTokens: Bool, threads: Int? = nil) -> [[Int]] {
        let results = ResultSlots<[Int]>(count: texts.count)
        let workers = max(1, min(threads ?? ProcessInfo.processInfo.activeProcessorCount, texts.count))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var index = worker
            while index < texts.count {
                results.set(index, encode(texts[index], addSpecialTokens: addSpecialTokens))
                index += workers
            }
        }
        return results.values
    }

    /// The token strings of `ids`; throws for an id that no token has.
    public func tokens(for ids: [Int]) throws -> [String] {
        try ids.map { id in
            guard let token = token(forID: id) else {
                throw TokenizerError(file: source, "cannot decode id \(id): the vocabulary has ids 0..<\(vocabularySize); "
                    + "the ids do not come from this tokenizer")
            }
            return token
        }
    }

    /// Decodes ids to text as HF's `decode` does; with `skipSpecialTokens`, special added tokens are left
    /// out. Throws for an id that no token has (HF silently drops it).
    public func decode(_ ids: [Int], skipSpecialTokens: Bool) throws -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for (id, token) in zip(ids, try self.tokens(for: ids)) {
            if skipSpecialTokens, let added = addedTokens[id], added.special { continue }
            tokens.append(token)
        }
        guard let decoder else { return tokens.joined(separator: " ") }
        return decoder.decodeChain(tokens).joined()
    }

    /// A decoder for ids that arrive one at a time during generation.
    public func streamingDecoder(skipSpecialTokens: Bool) -> StreamingDecoder {
        StreamingDecoder(tokenizer: self, skipSpecialTokens: skipSpecialTokens)
    }
}

/// Slots written by concurrent workers, each index by exactly one worker.
/// Unchecked Sendable: writes hold `lock`, and `values` is read only after every worker has finished.
final class ResultSlots<Value>: @unchecked Sendable {
    private var storage: [Value?]
    private let lock = NSLock()
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: Value) {
        lock.lock()
        storage[index] = value
        lock.unlock()
    }
    var values: [Value] { storage.compactMap { $0 } }
}
