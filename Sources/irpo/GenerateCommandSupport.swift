import Foundation
import IRPOGeneration
import IRPOLoading
import IRPOModel
import IRPOTokenizer

/// Input parsing and output formatting for `irpo generate`.
enum GenerateCommandSupport {
    /// A failure on input or output, printed as its message.
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// One prompt: text or ids, and the optional id echoed to the output.
    struct PromptRow {
        let id: JSONValue?
        let text: String?
        let ids: [Int32]?
    }

    /// A JSON scalar kept verbatim for the output's "id".
    enum JSONValue {
        case string(String)
        case number(String)

        var json: String {
            switch self {
            case let .string(value): return GenerateCommandSupport.quote(value)
            case let .number(value): return value
            }
        }
    }

    /// The model's tokenizer (tokenizer.json or GGUF metadata), or nil when it has none and none
    /// is `required`.
    static func loadTokenizer(source: ModelSource, required: Bool) throws -> Tokenizer? {
        let tokenizer: Tokenizer?
        do {
            tokenizer = try source.tokenizer()
        } catch {
            guard required else { return nil }
            throw Failure("\(error); text prompts and --chat need the model's tokenizer (or pass --prompt-ids)")
        }
        if tokenizer == nil && required {
            throw Failure("\(source.path) has only the demo's character vocabulary, which generate does not read; pass --prompt-ids (or a model with tokenizer.json or a .gguf file)")
        }
        return tokenizer
    }

    /// Parses "1, 2,3".
    static func parseIDs(_ text: String) throws -> [Int32] {
        let parts = text.split(whereSeparator: { $0 == "," || $0 == " " })
        let ids = parts.compactMap { Int32($0) }
        guard ids.count == parts.count, !ids.isEmpty else {
            throw Failure("--prompt-ids \"\(text)\" is not a comma-separated list of token ids; pass e.g. --prompt-ids 1,2,3")
        }
        return ids
    }

    /// The token ids of a prompt row.
    static func tokens(for row: PromptRow, index: Int, tokenizer: Tokenizer?, chat: Bool, source: String) throws -> [Int32] {
        if let ids = row.ids {
            if chat { throw Failure("\(source): prompt \(index) is given as ids, which --chat cannot wrap; pass text or drop --chat") }
            return ids
        }
        guard let text = row.text else { throw Failure("\(source): prompt \(index) has neither text nor ids") }
        guard let tokenizer else {
            throw Failure("\(source): prompt \(index) is text but the model has no tokenizer.json; pass prompt_ids instead")
        }
        // As transformers' apply_chat_template: the template writes the special tokens itself.
        let ids = chat
            ? tokenizer.encode(try tokenizer.applyChatTemplate([ChatMessage(role: "user", content: text)], addGenerationPrompt: true),
                               addSpecialTokens: false)
            : tokenizer.encode(text, addSpecialTokens: true)
        guard !ids.isEmpty else { throw Failure("\(source): prompt \(index) encodes to no tokens; give a non-empty prompt") }
        return ids.map { Int32(truncatingIfNeeded: $0) }
    }

    /// Parses every non-blank line of a prompts JSONL file.
    static func readPrompts(path: String) throws -> [PromptRow] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw Failure("\(path): cannot read the input file (\(error.localizedDescription)); check the path")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw Failure("\(path): is not UTF-8 text; pass a JSONL file") }
        var rows: [PromptRow] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            let location = "\(path):\(index + 1)"
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
                throw Failure("\(location): not a JSON object; each line must be {\"prompt\": \"...\"} or {\"prompt_ids\": [...]}")
            }
            var id: JSONValue?
            if let value = object["id"] {
                if let string = value as? String {
                    id = .string(string)
                } else if let number = value as? NSNumber {
                    id = .number(number.stringValue)
                } else {
                    throw Failure("\(location): \"id\" must be a string or a number")
                }
            }
            if let ids = object["prompt_ids"] {
                guard let list = ids as? [Any], !list.isEmpty else {
                    throw Failure("\(location): \"prompt_ids\" must be a non-empty list of token ids")
                }
                var converted: [Int32] = []
                for item in list {
                    guard let number = item as? NSNumber, let value = Int32(exactly: number.doubleValue) else {
                        throw Failure("\(location): \"prompt_ids\" holds \(item), which is not a token id")
                    }
                    converted.append(value)
                }
                rows.append(PromptRow(id: id, text: nil, ids: converted))
            } else if let prompt = object["prompt"] as? String {
                rows.append(PromptRow(id: id, text: prompt, ids: nil))
            } else {
                throw Failure("\(location): missing \"prompt\" (a string) or \"prompt_ids\" (a list of ids)")
            }
        }
        guard !rows.isEmpty else { throw Failure("\(path): has no prompts; add one JSON object per line") }
        return rows
    }

    /// One output line.
    static func jsonLine(_ result: GenerationResult, id: JSONValue?) -> String {
        var fields: [String] = []
        if let id { fields.append("\"id\": \(id.json)") }
        fields.append("\"prompt_index\": \(result.promptIndex)")
        fields.append("\"sample_index\": \(result.sampleIndex)")
        if let text = result.text { fields.append("\"text\": \(quote(text))") }
        fields.append("\"token_ids\": [\(result.tokens.map { "\($0)" }.joined(separator: ", "))]")
        fields.append("\"finish_reason\": \"\(result.finishReason.rawValue)\"")
        if let logProbs = result.logProbs { fields.append("\"logprobs\": [\(logProbs.map { "\($0)" }.joined(separator: ", "))]") }
        return "{" + fields.joined(separator: ", ") + "}"
    }

    /// A JSON string literal.
    static func quote(_ text: String) -> String {
        if let data = try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes]),
           let array = String(data: data, encoding: .utf8) {
            return String(array.dropFirst().dropLast())
        }
        return "\"\""
    }
}
