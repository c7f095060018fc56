import Foundation
import IRPOFormats

/// Building a tokenizer from GGUF vocabulary metadata (`tokenizer.ggml.*`), the way transformers builds
/// it from the same file (`AutoTokenizer.from_pretrained(folder, gguf_file=...)`):
///
/// - `gpt2`: byte-level BPE; tokens outside the byte alphabet are respelled from their UTF-8 bytes; the
///   split regex follows `tokenizer.ggml.pre` (Llama 3 and Qwen2 families), else GPT-2's ByteLevel regex
///   (this includes SmolLM2's `smollm`, which transformers treats as GPT-2).
/// - `llama`: SentencePiece-style BPE with byte fallback, Metaspace (`prepend_scheme: first`), and merges
///   from the file or, when absent, derived from the token scores as transformers' `generate_merges` does.
/// - Control tokens (type 3) become special added tokens, user-defined ones (type 4) plain added tokens.
/// - `add_bos_token` (default true for `llama`) and `add_eos_token` set the post-processor.
extension Tokenizer {
    /// Reads the tokenizer of a GGUF file (metadata only).
    public convenience init(ggufURL url: URL) throws {
        let file: GGUFFile
        do {
            file = try GGUFFile(contentsOf: url)
        } catch {
            throw TokenizerError(file: url.path, "cannot be read as GGUF: \(error)")
        }
        try self.init(ggufMetadata: file.metadata, source: url.path)
    }

    /// Builds the tokenizer described by GGUF metadata (`tokenizer.ggml.model`, `.tokens`, `.merges`,
    /// `.scores`, `.token_type`, `.pre`, special token ids, `add_bos_token`, `tokenizer.chat_template`).
    /// - Parameter source: the file name used in error messages.
    public convenience init(ggufMetadata metadata: [String: GGUFValue], source: String = "GGUF metadata") throws {
        func fail(_ message: String) -> TokenizerError { TokenizerError(file: source, message) }
        guard let modelType = metadata["tokenizer.ggml.model"]?.stringValue else {
            throw fail("has no string tokenizer.ggml.model; the file carries no tokenizer (use the model's tokenizer.json)")
        }
        guard modelType == "gpt2" || modelType == "llama" else {
            throw fail("tokenizer.ggml.model \"\(modelType)\" is not supported (only gpt2 and llama BPE vocabularies)")
        }
        guard let tokens = metadata["tokenizer.ggml.tokens"]?.stringArray, !tokens.isEmpty else {
            throw fail("tokenizer.ggml.tokens is missing or not a non-empty array of strings")
        }
        var tokenTypes: [Int]?
        if let value = metadata["tokenizer.ggml.token_type"] {
            guard let types = value.intArray, types.count == tokens.count else {
                throw fail("tokenizer.ggml.token_type must be \(tokens.count) integers, one per token")
            }
            tokenTypes = types
        }
        var scores: [Float]?
        if let value = metadata["tokenizer.ggml.scores"] {
            guard let values = value.floatArray, values.count == tokens.count else {
                throw fail("tokenizer.ggml.scores must be \(tokens.count) numbers, one per token")
            }
            scores = values
        }
        var merges: [String]?
        if let value = metadata["tokenizer.ggml.merges"] {
            guard let strings = value.stringArray else { throw fail("tokenizer.ggml.merges must be an array of strings") }
            merges = strings
        }
        func tokenID(_ key: String) throws -> Int? {
            guard let value = metadata["tokenizer.ggml.\(key)"] else { return nil }
            guard let id = value.intValue, id >= 0, id < tokens.count else {
                throw fail("tokenizer.ggml.\(key) is \(value), not an id below the vocabulary size \(tokens.count)")
            }
            return id
        }
        let byteLevel = modelType == "gpt2"
        let bos = try tokenID("bos_token_id"), eos = try tokenID("eos_token_id")
        let addBOS = metadata["tokenizer.ggml.add_bos_token"]?.boolValue ?? (modelType == "llama")
        let addEOS = metadata["tokenizer.ggml.add_eos_token"]?.boolValue ?? false

        // Vocabulary (byte-level tokens outside the alphabet are respelled from their UTF-8 bytes).
        let spelled: [String] = byteLevel ? tokens.map { token in
            token.unicodeScalars.allSatisfy { ByteLevelAlphabet.byte(for: $0) != nil }
                ? token : ByteLevelAlphabet.encode(token.utf8)
        } : tokens
        var vocabulary: [String: Int] = [:]
        for (id, token) in spelled.enumerated() { vocabulary[token] = id }

        let mergeList: [[String]]
        if let merges {
            mergeList = try merges.enumerated().map { index, line in
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw fail("tokenizer.ggml.merges[\(index)] \(line.debugDescription) is not two tokens separated by a space")
                }
                return parts.map(String.init)
            }
        } else if let scores {
            mergeList = Self.mergesFromScores(tokens: spelled, vocabulary: vocabulary, scores: scores)
        } else {
            throw fail("has neither tokenizer.ggml.merges nor tokenizer.ggml.scores to derive merges from")
        }

        // Added tokens: control (3) as special, user-defined (4) as plain.
        var addedTokens: [AddedToken] = []
        for (id, type) in (tokenTypes ?? []).enumerated() {
            let token = tokens[id]
            if type == 3 && (!byteLevel || spelled[id] == token) {
                addedTokens.append(AddedToken(id: id, content: token, normalized: false, special: true))
            } else if type == 4 && vocabulary[token] != nil {
                addedTokens.append(AddedToken(id: vocabulary[token] ?? id, content: token, normalized: false, special: false))
            }
        }

        var model: [String: Any] = ["type": "BPE", "vocab": vocabulary, "merges": mergeList,
                                    "fuse_unk": !byteLevel, "byte_fallback": !byteLevel]
        model["ignore_merges"] = false
        var json: [String: Any] = ["model": model]
        json["added_tokens"] = addedTokens.map {
            ["id": $0.id, "content": $0.content, "single_word": false, "lstrip": false, "rstrip": false,
             "normalized": false, "special": $0.special] as [String: Any]
        }
        if byteLevel {
            let pre = metadata["tokenizer.ggml.pre"]?.stringValue ?? "default"
            guard let preTokenizer = Self.byteLevelPreTokenizerJSON(forPre: pre) else {
                throw fail("tokenizer.ggml.pre \"\(pre)\" uses a split regex that is not implemented; "
                    + "use the model's tokenizer.json instead")
            }
            json["pre_tokenizer"] = preTokenizer
            json["decoder"] = ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true]
        } else {
            json["pre_tokenizer"] = ["type": "Metaspace", "replacement": "\u{2581}", "prepend_scheme": "first",
                                     "split": false]
            json["decoder"] = ["type": "Sequence", "decoders": [
                ["type": "Replace", "pattern": ["String": "\u{2581}"], "content": " "],
                ["type": "ByteFallback"], ["type": "Fuse"],
                ["type": "Strip", "content": " ", "start": 1, "stop": 0],
            ]]
        }
        var single: [[String: Any]] = []
        var specials: [String: Any] = [:]
        if addBOS, let bos {
            single.append(["SpecialToken": ["id": tokens[bos], "type_id": 0]])
            specials[tokens[bos]] = ["id": tokens[bos], "ids": [bos], "tokens": [tokens[bos]]]
        }
        single.append(["Sequence": ["id": "A", "type_id": 0]])
        if addEOS, let eos {
            single.append(["SpecialToken": ["id": tokens[eos], "type_id": 0]])
            specials[tokens[eos]] = ["id": tokens[eos], "ids": [eos], "tokens": [tokens[eos]]]
        }
        json["post_processor"] = ["type": "TemplateProcessing", "single": single, "special_tokens": specials]

        var config: [String: Any] = [:]
        if let bos { config["bos_token"] = tokens[bos] }
        if let eos { config["eos_token"] = tokens[eos] }
        if let unk = try tokenID("unknown_token_id") { config["unk_token"] = tokens[unk] }
        if let pad = try tokenID("padding_token_id") { config["pad_token"] = tokens[pad] }
        if let template = metadata["tokenizer.chat_template"]?.stringValue { config["chat_template"] = template }
        let file = "\(source) (tokenizer metadata)"
        try self.init(root: JSONReader(value: json, file: file, path: "$"),
                      config: JSONReader(value: config, file: file, path: "$"))
    }

    /// `tokenizer.ggml.pre` values whose split regex transformers sets and we implement.
    static func splitRegex(forPre pre: String) -> String? {
        switch pre {
        case "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano",
             "dbrx", "smaug-bpe":
            return SplitPattern.llama3Source
        case "qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez":
            return SplitPattern.qwen2Source
        default:
            return nil
        }
    }

    /// `tokenizer.ggml.pre` values llama.cpp splits with `\p{N}` (each digit alone) before GPT-2's regex.
    static let digitPres: Set<String> = ["smollm", "starcoder"]

    /// tokenizer.json's `pre_tokenizer` for a byte-level (`gpt2`) GGUF vocabulary whose
    /// `tokenizer.ggml.pre` is `pre`, splitting text as llama.cpp does: Llama 3's or Qwen2's
    /// `Split` before `ByteLevel`, `Digits` before `ByteLevel` for `digitPres`, else GPT-2's
    /// `ByteLevel`; nil for a pre whose split regex is not implemented.
    public static func byteLevelPreTokenizerJSON(forPre pre: String) -> [String: Any]? {
        let byteLevel: [String: Any] = ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true]
        if let regex = splitRegex(forPre: pre) {
            return ["type": "Sequence", "pretokenizers": [
                ["type": "Split", "pattern": ["Regex": regex], "behavior": "Isolated", "invert": false],
                ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false],
            ]]
        }
        if unsupportedPre.contains(pre) { return nil }
        if digitPres.contains(pre) {
            return ["type": "Sequence", "pretokenizers": [["type": "Digits", "individual_digits": true], byteLevel]]
        }
        return byteLevel
    }

    /// `tokenizer.ggml.pre` values transformers splits with a regex that SplitPattern does not implement.
    static let unsupportedPre: Set<String> = ["tekken", "qwen35", "gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2"]

    /// Merges implied by a vocabulary and its scores (transformers' `generate_merges`): every split of a
    /// token into two vocabulary tokens, best score first, then shorter left and right parts, ties in
    /// token order (and by the ids of the parts within a token).
    static func mergesFromScores(tokens: [String], vocabulary: [String: Int], scores: [Float]) -> [[String]] {
        struct Candidate { let left: String; let right: String; let score: Float; let leftLength: Int; let rightLength: Int; let order: Int }
        var candidates: [Candidate] = []
        // Python iterates the {token: score} dict: later duplicates overwrite the score, first position kept.
        var firstIndex: [String: Int] = [:]
        var scoreOf: [String: Float] = [:]
        var order: [String] = []
        for (index, token) in tokens.enumerated() {
            if firstIndex[token] == nil { firstIndex[token] = index; order.append(token) }
            scoreOf[token] = scores[index]
        }
        for token in order {
            let characters = Array(token.unicodeScalars)
            guard characters.count > 1 else { continue }
            var local: [(String, String, Int, Int)] = []
            for split in 1..<characters.count {
                var left = String.UnicodeScalarView(), right = String.UnicodeScalarView()
                left.append(contentsOf: characters[..<split])
                right.append(contentsOf: characters[split...])
                let l = String(left), r = String(right)
                if let leftID = vocabulary[l], let rightID = vocabulary[r] { local.append((l, r, leftID, rightID)) }
            }
            local.sort { ($0.2, $0.3) < ($1.2, $1.3) }
            for (l, r, _, _) in local {
                candidates.append(Candidate(left: l, right: r, score: scoreOf[token] ?? 0, leftLength: l.unicodeScalars.count,
                                            rightLength: r.unicodeScalars.count, order: candidates.count))
            }
        }
        candidates.sort { a, b in
            if a.score != b.score { return a.score > b.score }
            if a.leftLength != b.leftLength { return a.leftLength > b.leftLength }
            if a.rightLength != b.rightLength { return a.rightLength > b.rightLength }
            return a.order < b.order
        }
        return candidates.map { [$0.left, $0.right] }
    }
}
