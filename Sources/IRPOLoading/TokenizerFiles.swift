import Foundation
import IRPOFormats
import IRPOModel
import IRPOTokenizer

/// Tokenizer files between formats, for `irpo convert`, GGUF exports and runs seeded from a GGUF:
/// GGUF vocabulary metadata <-> Hugging Face `tokenizer.json` / `tokenizer_config.json` /
/// `generation_config.json`.
///
/// Only GPT-2-style byte-level BPE vocabularies with GPT-2's split regex are translated
/// (`tokenizer.ggml.model` `gpt2` with `tokenizer.ggml.pre` `default`, `gpt-2`, `smollm` or
/// `starcoder`, e.g. SmolLM2); for others the conversion skips the file and returns a note saying so.
/// The pre-tokenizer is kept both ways: llama.cpp splits `smollm` text with `\p{N}` first,
/// which tokenizer.json spells `Digits` before `ByteLevel`.
public enum TokenizerFiles {
    /// `tokenizer.ggml.pre` values that split text with GPT-2's ByteLevel regex (`smollm` and
    /// `starcoder` isolate every digit first; `Tokenizer.byteLevelPreTokenizerJSON(forPre:)`).
    public static let byteLevelPres: Set<String> = ["default", "gpt2", "gpt-2", "smollm", "starcoder"]

    /// The `tokenizer.ggml.pre` that makes llama.cpp split text as tokenizer.json's
    /// `pre_tokenizer` does, for the layouts written for `byteLevelPres` (and
    /// Hugging Face's own files of that form); nil for any other layout.
    static func ggufPre(forPreTokenizer json: [String: Any]?) -> String? {
        func isByteLevelWithRegex(_ stage: [String: Any]?) -> Bool {
            stage?["type"] as? String == "ByteLevel" && (stage?["use_regex"] as? Bool ?? true)
                && !(stage?["add_prefix_space"] as? Bool ?? false)
        }
        if isByteLevelWithRegex(json) { return "gpt-2" }
        guard json?["type"] as? String == "Sequence", let stages = json?["pretokenizers"] as? [[String: Any]],
              stages.count == 2, stages[0]["type"] as? String == "Digits",
              stages[0]["individual_digits"] as? Bool == true, isByteLevelWithRegex(stages[1]) else { return nil }
        return "smollm"
    }

    // MARK: GGUF -> Hugging Face

    /// Writes tokenizer.json, tokenizer_config.json and generation_config.json built from GGUF
    /// `metadata` into `folder`; returns notes about what was not written.
    public static func writeHuggingFaceFiles(metadata: [String: GGUFValue], configuration: LlamaConfiguration,
                                      folder: URL, source: String) throws -> [String] {
        var notes: [String] = []
        guard let tokens = metadata["tokenizer.ggml.tokens"]?.stringArray else {
            return ["\(source) has no tokenizer.ggml.tokens: no tokenizer files written"]
        }
        let types = metadata["tokenizer.ggml.token_type"]?.intArray ?? []
        func token(_ key: String) -> String? {
            guard let id = metadata["tokenizer.ggml.\(key)"]?.intValue, tokens.indices.contains(id) else { return nil }
            return tokens[id]
        }
        var generation: [String: Any] = [:]
        if let bos = metadata["tokenizer.ggml.bos_token_id"]?.intValue { generation["bos_token_id"] = bos }
        if let eos = metadata["tokenizer.ggml.eos_token_id"]?.intValue { generation["eos_token_id"] = eos }
        if !generation.isEmpty { try writeJSON(generation, to: folder.appendingPathComponent("generation_config.json")) }

        var config: [String: Any] = [
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": configuration.maxPositionEmbeddings,
            "clean_up_tokenization_spaces": false,
        ]
        if let bos = token("bos_token_id") { config["bos_token"] = bos }
        if let eos = token("eos_token_id") { config["eos_token"] = eos }
        if let unk = token("unknown_token_id") { config["unk_token"] = unk }
        if let pad = token("padding_token_id") { config["pad_token"] = pad }
        if let addBOS = metadata["tokenizer.ggml.add_bos_token"]?.boolValue { config["add_bos_token"] = addBOS }
        if let addEOS = metadata["tokenizer.ggml.add_eos_token"]?.boolValue { config["add_eos_token"] = addEOS }
        if let template = metadata["tokenizer.chat_template"]?.stringValue { config["chat_template"] = template }

        let model = metadata["tokenizer.ggml.model"]?.stringValue ?? "?"
        let pre = metadata["tokenizer.ggml.pre"]?.stringValue ?? "default"
        guard model == "gpt2", byteLevelPres.contains(pre), let preTokenizer = Tokenizer.byteLevelPreTokenizerJSON(forPre: pre) else {
            try writeJSON(config, to: folder.appendingPathComponent("tokenizer_config.json"))
            return notes + ["tokenizer.json not written: only byte-level BPE vocabularies (tokenizer.ggml.model gpt2, pre default/gpt-2/smollm/starcoder) are translated; this file has model \(model), pre \(pre)"]
        }
        var vocab: [String: Int] = [:]
        var added: [[String: Any]] = []
        for (id, text) in tokens.enumerated() {
            if vocab[text] == nil { vocab[text] = id } else { notes.append("token \(id) '\(text)' repeats an earlier token; tokenizer.json keeps the first id") }
            let type = id < types.count ? types[id] : 1
            if type == 3 || type == 4 {
                added.append(["id": id, "content": text, "single_word": false, "lstrip": false, "rstrip": false,
                              "normalized": type == 4, "special": type == 3])
            }
        }
        let merges = metadata["tokenizer.ggml.merges"]?.stringArray ?? []
        var postProcessor: Any = ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true]
        if metadata["tokenizer.ggml.add_bos_token"]?.boolValue == true, let bos = token("bos_token_id"),
           let bosID = metadata["tokenizer.ggml.bos_token_id"]?.intValue {
            postProcessor = [
                "type": "TemplateProcessing",
                "single": [["SpecialToken": ["id": bos, "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]]],
                "pair": [["SpecialToken": ["id": bos, "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]],
                         ["SpecialToken": ["id": bos, "type_id": 1]], ["Sequence": ["id": "B", "type_id": 1]]],
                "special_tokens": [bos: ["id": bos, "ids": [bosID], "tokens": [bos]]],
            ] as [String: Any]
        }
        let tokenizer: [String: Any] = [
            "version": "1.0",
            "truncation": NSNull(), "padding": NSNull(),
            "added_tokens": added,
            "normalizer": NSNull(),
            "pre_tokenizer": preTokenizer,
            "post_processor": postProcessor,
            "decoder": ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true],
            "model": [
                "type": "BPE", "dropout": NSNull(), "unk_token": token("unknown_token_id").map { $0 as Any } ?? NSNull(),
                "continuing_subword_prefix": NSNull(), "end_of_word_suffix": NSNull(), "fuse_unk": false,
                "byte_fallback": false, "ignore_merges": false, "vocab": vocab, "merges": merges,
            ] as [String: Any],
        ]
        try writeJSON(tokenizer, to: folder.appendingPathComponent("tokenizer.json"))
        try writeJSON(config, to: folder.appendingPathComponent("tokenizer_config.json"))
        return notes
    }

    // MARK: Hugging Face -> GGUF

    /// GGUF `tokenizer.*` metadata built from `folder`'s tokenizer.json (+ tokenizer_config.json),
    /// or an empty list and a note when the folder has no tokenizer or one that is not translated.
    public static func ggufMetadata(folder: URL) throws -> ([(key: String, value: GGUFValue)], String?) {
        let file = folder.appendingPathComponent("tokenizer.json")
        guard let data = try? Data(contentsOf: file) else { return ([], "\(file.path) not found: no tokenizer metadata written") }
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let model = root["model"] as? [String: Any], let vocab = model["vocab"] as? [String: Int] else {
            throw ModelSourceError("\(file.path): expected a JSON object with model.vocab (token -> id); regenerate it with transformers' save_pretrained")
        }
        let preTokenizer = root["pre_tokenizer"] as? [String: Any]
        guard model["type"] as? String == "BPE", let pre = ggufPre(forPreTokenizer: preTokenizer) else {
            return ([], "\(file.path): only byte-level BPE tokenizers (pre_tokenizer ByteLevel, or Digits then ByteLevel) are translated to GGUF metadata (this one has model \(model["type"] ?? "?"), pre_tokenizer \(preTokenizer?["type"] ?? "none")); no tokenizer metadata written")
        }
        var byID: [Int: (text: String, type: Int)] = [:]
        for (text, id) in vocab { byID[id] = (text, 1) }
        for case let token as [String: Any] in (root["added_tokens"] as? [Any]) ?? [] {
            guard let id = token["id"] as? Int, let text = token["content"] as? String else { continue }
            byID[id] = (text, (token["special"] as? Bool) == true ? 3 : 4)
        }
        // Ids index the token list: each is checked before the list is built from the largest.
        if let bad = byID.keys.first(where: { !TokenizerLimits.isAcceptable($0, entries: byID.count) }) {
            throw ModelSourceError("\(file.path): token id \(bad) is out of range for a vocabulary of \(byID.count) tokens (ids must be in 0..<\(min(TokenizerLimits.maxTokenID + 1, byID.count + TokenizerLimits.maxIDGap))); the file is damaged")
        }
        let count = (byID.keys.max() ?? -1) + 1
        guard count > 0 else { return ([], "\(file.path) has an empty vocabulary: no tokenizer metadata written") }
        var tokens: [GGUFValue] = [], types: [GGUFValue] = []
        for id in 0..<count {
            let entry = byID[id] ?? (text: "[PAD\(id)]", type: 5)
            tokens.append(.string(entry.text))
            types.append(.int32(Int32(entry.type)))
        }
        var merges: [GGUFValue] = []
        for merge in (model["merges"] as? [Any]) ?? [] {
            if let text = merge as? String { merges.append(.string(text)) }
            else if let pair = merge as? [String], pair.count == 2 { merges.append(.string(pair[0] + " " + pair[1])) }
        }
        var metadata: [(key: String, value: GGUFValue)] = [
            ("tokenizer.ggml.model", .string("gpt2")),
            ("tokenizer.ggml.pre", .string(pre)),
            ("tokenizer.ggml.tokens", .array(tokens)),
            ("tokenizer.ggml.token_type", .array(types)),
        ]
        if !merges.isEmpty { metadata.append(("tokenizer.ggml.merges", .array(merges))) }
        let configURL = folder.appendingPathComponent("tokenizer_config.json")
        if let configData = try? Data(contentsOf: configURL),
           let config = try JSONSerialization.jsonObject(with: configData) as? [String: Any] {
            func id(_ key: String) -> Int? {
                let value = config[key]
                let text = (value as? String) ?? ((value as? [String: Any])?["content"] as? String)
                guard let text else { return nil }
                return vocab[text] ?? byID.first { $0.value.text == text }?.key
            }
            for (key, ggufKey) in [("bos_token", "bos_token_id"), ("eos_token", "eos_token_id"), ("unk_token", "unknown_token_id"), ("pad_token", "padding_token_id")] {
                if let value = id(key) { metadata.append(("tokenizer.ggml.\(ggufKey)", .uint32(UInt32(value)))) }
            }
            if let addBOS = config["add_bos_token"] as? Bool { metadata.append(("tokenizer.ggml.add_bos_token", .bool(addBOS))) }
            if let template = config["chat_template"] as? String { metadata.append(("tokenizer.chat_template", .string(template))) }
        }
        return (metadata, nil)
    }

    /// Copies the tokenizer and generation files of an HF folder into another.
    public static func copyHuggingFaceFiles(from source: URL, to destination: URL) throws -> [String] {
        var copied: [String] = []
        for name in ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json"] {
            let from = source.appendingPathComponent(name), to = destination.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: from.path) else { continue }
            try? FileManager.default.removeItem(at: to)
            do { try FileManager.default.copyItem(at: from, to: to) } catch {
                throw ModelSourceError("\(to.path): cannot copy \(name) (\(error.localizedDescription)); check permissions")
            }
            copied.append(name)
        }
        return copied.isEmpty ? ["\(source.path) has no tokenizer files to copy"] : []
    }

    private static func writeJSON(_ object: Any, to url: URL) throws {
        do {
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            try data.write(to: url, options: .atomic)
        } catch {
            throw ModelSourceError("\(url.path): cannot be written (\(error.localizedDescription)); check free space and permissions")
        }
    }
}
