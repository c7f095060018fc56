import ArgumentParser
import Foundation
import IRPOFormats
import IRPOLoading
import IRPOTokenizer

/// `irpo tokenize`: encode text with a model's tokenizer, one JSON line per input.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Encode text with a model's tokenizer (tokenizer.json folder or .gguf file).",
        discussion: """
            Prints one JSON line {"ids": [...], "pieces": [...]} per input. With --bench, prints the
            single-thread encode throughput over the inputs instead.

            Example: irpo tokenize --model models/smollm2-135m-instruct --text "Final answer: 42"
            """)

    @Option(help: "A model folder with tokenizer.json, a tokenizer.json file, or a .gguf file.")
    var model: String

    @Option(help: "The text to encode.")
    var text: String?

    @Option(help: "A JSONL file whose rows have a \"text\" field (or are JSON strings).")
    var input: String?

    @Flag(help: "Add the post-processor's special tokens (e.g. BOS), like HF add_special_tokens=True.")
    var addSpecialTokens = false

    @Flag(help: "Measure single-thread encode throughput (MB/s) over the inputs instead of printing ids.")
    var bench = false

    @Option(help: "With --bench: minimum seconds to measure for.")
    var seconds: Double = 2

    func validate() throws {
        guard (text == nil) != (input == nil) else {
            throw ValidationError("pass exactly one of --text and --input")
        }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive, got \(seconds)") }
    }

    func run() throws {
        let tokenizer = try Self.tokenizer(model: model)
        let texts = try text.map { [$0] } ?? Self.readTexts(input ?? "")
        if bench {
            print(Self.benchmark(tokenizer, texts: texts, addSpecialTokens: addSpecialTokens, seconds: seconds))
            return
        }
        for text in texts {
            let ids = tokenizer.encode(text, addSpecialTokens: addSpecialTokens)
            let pieces = try tokenizer.tokens(for: ids)
            let idsJSON = ids.map(String.init).joined(separator: ", ")
            let piecesJSON = pieces.map(Self.jsonString).joined(separator: ", ")
            print("{\"ids\": [\(idsJSON)], \"pieces\": [\(piecesJSON)]}")
        }
    }

    /// The tokenizer of `model`: a tokenizer.json file, or any model path `ModelSource` accepts.
    static func tokenizer(model: String) throws -> Tokenizer {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: model, isDirectory: &isDirectory), !isDirectory.boolValue,
           model.lowercased().hasSuffix(".json") {
            return try Tokenizer(contentsOf: URL(fileURLWithPath: model))
        }
        guard let tokenizer = try ModelSource(path: model).tokenizer() else {
            throw ValidationError("\(model) has only a character vocabulary (\(CharacterTokenizer.fileName)), which this command does not read; pass a model with tokenizer.json or a .gguf file")
        }
        return tokenizer
    }

    /// Rows of a JSONL file: `{"text": ...}` objects or plain JSON strings.
    static func readTexts(_ path: String) throws -> [String] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ValidationError("\(path): cannot be read (\(error.localizedDescription))")
        }
        var texts: [String] = []
        for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() {
            let row = try? JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])
            if let text = row as? String {
                texts.append(text)
            } else if let object = row as? [String: Any], let text = object["text"] as? String {
                texts.append(text)
            } else {
                throw ValidationError("\(path):\(number + 1): expected {\"text\": \"...\"} or a JSON string")
            }
        }
        return texts
    }

    /// Single-thread throughput: a cold pass (empty word cache), then repeated passes for `seconds`.
    static func benchmark(_ tokenizer: Tokenizer, texts: [String], addSpecialTokens: Bool, seconds: Double) -> String {
        let bytes = texts.reduce(0) { $0 + $1.utf8.count }
        var tokens = 0
        let coldStart = DispatchTime.now().uptimeNanoseconds
        for text in texts { tokens += tokenizer.encode(text, addSpecialTokens: addSpecialTokens).count }
        let cold = Double(DispatchTime.now().uptimeNanoseconds - coldStart) / 1e9
        var passes = 0
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed = 0.0
        repeat {
            for text in texts { _ = tokenizer.encode(text, addSpecialTokens: addSpecialTokens) }
            passes += 1
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        } while elapsed < seconds
        let warm = Double(bytes * passes) / elapsed / 1e6
        return String(format: "{\"texts\": %d, \"bytes\": %d, \"tokens\": %d, \"cold_mb_per_s\": %.2f, \"warm_mb_per_s\": %.2f, \"passes\": %d}",
                      texts.count, bytes, tokens, Double(bytes) / cold / 1e6, warm, passes)
    }

    /// A JSON string literal (see `JSONStringLiteral`).
    static func jsonString(_ text: String) -> String { JSONStringLiteral.quote(text) }
}
