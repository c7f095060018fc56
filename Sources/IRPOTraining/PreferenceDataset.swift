import Foundation

/// The rows of a pairs or SFT JSONL file, as read (text or ids), with the file name kept for
/// messages.
public struct PreferenceDataset: Sendable {
    /// The file the rows came from (for messages).
    public var file: String
    /// The rows, in file order.
    public var records: [PreferenceRecord]

    /// Memberwise init.
    public init(file: String, records: [PreferenceRecord]) {
        self.file = file
        self.records = records
    }

    /// Reads a JSONL file: one JSON object per line, blank lines skipped. A row is a preference
    /// pair if it has `chosen`/`chosen_ids` (then `rejected`/`rejected_ids` is required) and an
    /// SFT row if it has `completion`/`completion_ids`; `prompt`/`prompt_ids` is always required.
    /// - Throws: `TrainingError.invalidData` naming the file, the line and the key at fault.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TrainingError.invalidData(file: url.path, line: nil, message: "cannot read the file (\(error.localizedDescription)); check the path")
        }
        try self.init(jsonl: data, file: url.path)
    }

    /// Parses JSONL bytes; `file` is used in messages.
    public init(jsonl data: Data, file: String) throws {
        var records: [PreferenceRecord] = []
        var lineNumber = 0
        var kind: Bool?  // true: pairs, false: SFT rows
        for lineBytes in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let trimmed = lineBytes.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }
            if trimmed.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }) { continue }
            let record = try Self.parseRow(Data(lineBytes), line: lineNumber, file: file)
            let isPair = record.rejected != nil
            if let kind, kind != isPair {
                throw TrainingError.invalidData(file: file, line: lineNumber, message:
                    "mixes preference pairs (prompt/chosen/rejected) and SFT rows (prompt/completion) in one file; split them into two files")
            }
            kind = isPair
            records.append(record)
        }
        guard !records.isEmpty else {
            throw TrainingError.invalidData(file: file, line: nil, message: "holds no rows; write one JSON object per line with prompt/chosen/rejected or prompt/completion")
        }
        self.init(file: file, records: records)
    }

    /// Whether the rows are preference pairs (else SFT rows).
    public var isPreferencePairs: Bool { records.first?.rejected != nil }

    /// Whether any field is text (and so needs a tokenizer).
    public var needsTokenizer: Bool {
        records.contains { record in
            [record.prompt, record.chosen, record.rejected].contains { field in
                if case .text = field { return true } else { return false }
            }
        }
    }

    /// Which field a text is, so the tokeniser can add BOS to prompts and EOS to completions.
    public enum FieldRole: Sendable {
        /// The prompt x.
        case prompt
        /// A completion (chosen, rejected or an SFT completion).
        case completion
    }

    /// Converts the rows to token ids. Text fields go through `tokenize` (nil: text is an
    /// error that says to pass `*_ids` or use the CLI, which owns the tokenizer).
    public func tokenized(using tokenize: ((String, FieldRole) throws -> [Int32])? = nil) throws -> [TrainingExample] {
        try records.map { record in
            func ids(_ field: TextOrTokens, key: String) throws -> [Int32] {
                switch field {
                case let .tokens(tokens):
                    return tokens
                case let .text(text):
                    guard let tokenize else {
                        throw TrainingError.invalidData(file: file, line: record.line, message:
                            "`\(key)` is text but no tokenizer is available here; give `\(key)_ids` arrays or train through `irpo train`, which tokenises text")
                    }
                    let tokens = try tokenize(text, key == "prompt" ? .prompt : .completion)
                    guard !tokens.isEmpty else {
                        throw TrainingError.invalidData(file: file, line: record.line, message: "`\(key)` tokenises to no tokens; remove the row or fix the text")
                    }
                    return tokens
                }
            }
            let completionKey = record.rejected == nil ? "completion" : "chosen"
            return TrainingExample(line: record.line, prompt: try ids(record.prompt, key: "prompt"),
                                   chosen: try ids(record.chosen, key: completionKey),
                                   rejected: try record.rejected.map { try ids($0, key: "rejected") })
        }
    }

    static func parseRow(_ data: Data, line: Int, file: String) throws -> PreferenceRecord {
        func fail(_ message: String) -> TrainingError { .invalidData(file: file, line: line, message: message) }
        let row: RawRow
        do {
            row = try JSONDecoder().decode(RawRow.self, from: data)
        } catch DecodingError.typeMismatch {
            throw fail("is not a JSON object; each line must be an object with prompt/chosen/rejected or prompt/completion")
        } catch {
            throw fail("is not valid JSON; each line must be one JSON object (\(Self.preview(data)))")
        }
        func field(_ key: String, required: Bool) throws -> TextOrTokens? {
            let idsKey = key + "_ids"
            switch row.fields[idsKey] {
            case let .ids(values)?:
                guard !values.isEmpty else { throw fail("`\(idsKey)` is empty; every \(key) needs at least one token") }
                var tokens: [Int32] = []
                tokens.reserveCapacity(values.count)
                for (position, value) in values.enumerated() {
                    guard let token = Int32(exactly: value), token >= 0 else {
                        throw fail("`\(idsKey)`[\(position)] = \(value) is not a token id (0 ..< 2^31)")
                    }
                    tokens.append(token)
                }
                return .tokens(tokens)
            case .text?, .list?, .other?:
                throw fail("`\(idsKey)` must be an array of non-negative integer token ids")
            case .null?, nil:
                break
            }
            switch row.fields[key] {
            case let .text(text)?:
                guard !text.isEmpty else { throw fail("`\(key)` is empty; every \(key) needs text") }
                return .text(text)
            case .list?, .ids?:
                throw fail("`\(key)` is a list (conversational format), which is not supported; apply the chat template and give text or `\(idsKey)`")
            case .other?:
                throw fail("`\(key)` must be a string (or give `\(idsKey)`)")
            case .null?, nil:
                if required { throw fail("has no `\(key)` or `\(idsKey)`") }
                return nil
            }
        }
        guard let prompt = try field("prompt", required: true) else { throw fail("has no `prompt`") }
        if let chosen = try field("chosen", required: false) {
            guard let rejected = try field("rejected", required: true) else { throw fail("has no `rejected`") }
            return PreferenceRecord(line: line, prompt: prompt, chosen: chosen, rejected: rejected)
        }
        if try field("rejected", required: false) != nil {
            throw fail("has `rejected` but no `chosen` or `chosen_ids`")
        }
        if let completion = try field("completion", required: false) {
            return PreferenceRecord(line: line, prompt: prompt, chosen: completion, rejected: nil)
        }
        throw fail("has neither `chosen`/`rejected` (a preference pair) nor `completion` (an SFT row)")
    }

    private static func preview(_ data: Data) -> String {
        let text = String(decoding: data.prefix(60), as: UTF8.self)
        return data.count > 60 ? "starts with \(text.debugDescription)..." : "reads \(text.debugDescription)"
    }
}

/// The fields of one JSONL row that the reader looks at, decoded loosely so that the reader
/// can say what is wrong with each.
struct RawRow: Decodable {
    enum Value: Decodable {
        case text(String), ids([Int]), list, null, other

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() { self = .null; return }
            if let text = try? container.decode(String.self) { self = .text(text); return }
            if let ids = try? container.decode([Int].self) { self = .ids(ids); return }
            if (try? container.decode([Value].self)) != nil { self = .list; return }
            self = .other
        }
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static let keys = ["prompt", "chosen", "rejected", "completion"].flatMap { [$0, $0 + "_ids"] }

    var fields: [String: Value] = [:]

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        for name in Self.keys where container.contains(Key(stringValue: name)) {
            fields[name] = try container.decode(Value.self, forKey: Key(stringValue: name))
        }
    }
}
