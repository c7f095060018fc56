import ArgumentParser
import Foundation
import IRPOLoading
import IRPOModel
import IRPOPipeline
import IRPOTensor

/// `irpo logprobs`: log-probabilities of completions given prompts, one JSON line per input line.
struct LogprobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logprobs",
        abstract: "Score completions: sum and per-token log-probabilities under a model.",
        discussion: """
        Each input line is {"prompt_ids": [...], "completion_ids": [...]}; each output line is
        {"sum_logprob": ..., "num_tokens": ..., "token_logprobs": [...]} for the completion tokens.
        The text form {"prompt": "...", "completion": "..."} needs the tokenizer and is not supported yet.

        Example: irpo logprobs --model runs/demo/run/iter-1/model --input completions.jsonl --output logprobs.jsonl
        """)

    @Option(name: .long, help: "A Hugging Face model folder.")
    var model: String

    @Option(name: .long, help: "Input JSONL file.")
    var input: String

    @Option(name: .long, help: "Write results here instead of standard output.")
    var output: String?

    @Option(name: .long, help: "Sequences per forward pass.")
    var batchSize = 8

    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        try CommandLimits.check("--batch-size", batchSize, 1...PipelineLimits.maxSamplingBatchSize)
    }

    mutating func run() throws {
        compute.context().apply()
        let items = try LogprobsInput.read(path: input)
        let loaded = try ModelSource(path: model).loadModel()
        for item in items {
            if let bad = (item.prompt + item.completion).first(where: { $0 < 0 || Int($0) >= loaded.configuration.vocabularySize }) {
                throw Failure("\(input):\(item.line): token id \(bad) is outside the model's vocabulary 0..<\(loaded.configuration.vocabularySize); check that the ids come from this model's tokenizer")
            }
            // Checked before any activation is sized from the row.
            let length = item.prompt.count + item.completion.count
            guard length <= loaded.configuration.maxPositionEmbeddings else {
                throw Failure("\(input):\(item.line): the row has \(length) tokens, more than the model's context of \(loaded.configuration.maxPositionEmbeddings) (max_position_embeddings); shorten or split it")
            }
            if item.prompt.isEmpty && !item.completion.isEmpty {
                throw Failure("\(input):\(item.line): prompt_ids is empty, so the first completion token has no prediction; start the prompt with the BOS token")
            }
        }
        var lines: [String] = []
        lines.reserveCapacity(items.count)
        var start = 0
        while start < items.count {
            let chunk = Array(items[start..<min(items.count, start + batchSize)])
            start += chunk.count
            // Empty completions score nothing; they still get an output line.
            let scored = chunk.filter { !$0.completion.isEmpty }
            var results: [Int: (Float, [Float])] = [:]
            if !scored.isEmpty {
                let batch = TokenBatch(prompts: scored.map(\.prompt), completions: scored.map(\.completion))
                let pass = try loaded.forward(batch, savingForBackward: false)
                for (index, item) in scored.enumerated() {
                    results[item.line] = (pass.sumLogProbs[index], Array(pass.tokenLogProbs[index][item.prompt.count...]))
                }
            }
            for item in chunk {
                let (sum, tokens) = results[item.line] ?? (0, [])
                lines.append(Self.jsonLine(sum: sum, tokens: tokens))
            }
        }
        let text = lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")
        if let output {
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                throw Failure("\(output): cannot write the results (\(error.localizedDescription)); check the path and permissions")
            }
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }

    /// A failure on input or output files, printed as its message (without usage help).
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// `{"sum_logprob": s, "num_tokens": n, "token_logprobs": [...]}` with shortest round-trip floats.
    static func jsonLine(sum: Float, tokens: [Float]) -> String {
        "{\"sum_logprob\": \(sum), \"num_tokens\": \(tokens.count), \"token_logprobs\": [\(tokens.map { "\($0)" }.joined(separator: ", "))]}"
    }
}

/// One parsed line of a logprobs input file.
struct LogprobsInput {
    /// 1-based line number in the file.
    let line: Int
    let prompt: [Int32]
    let completion: [Int32]

    /// The ids form of a line.
    private struct IDs: Decodable {
        let prompt_ids: [Int32]
        let completion_ids: [Int32]
    }

    private static func path(_ context: DecodingError.Context) -> String {
        context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? "\"\($0.stringValue)\"" }.joined()
    }

    /// Parses every non-blank line of `path`.
    /// - Throws: `LogprobsCommand.Failure` naming the file and line for anything malformed.
    static func read(path: String) throws -> [LogprobsInput] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw LogprobsCommand.Failure("\(path): cannot read the input file (\(error.localizedDescription)); check the path")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw LogprobsCommand.Failure("\(path): is not UTF-8 text; pass a JSONL file")
        }
        var items: [LogprobsInput] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            let where_ = "\(path):\(index + 1)"
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw LogprobsCommand.Failure("\(where_): not a JSON object; each line must be {\"prompt_ids\": [...], \"completion_ids\": [...]}")
            }
            if object["prompt_ids"] == nil, object["prompt"] != nil || object["completion"] != nil {
                throw LogprobsCommand.Failure("\(where_): the text form {\"prompt\", \"completion\"} needs the tokenizer, which irpo logprobs does not support yet; pass token ids as {\"prompt_ids\": [...], \"completion_ids\": [...]}")
            }
            let ids: IDs
            do {
                ids = try JSONDecoder().decode(IDs.self, from: Data(line.utf8))
            } catch let DecodingError.keyNotFound(key, _) {
                throw LogprobsCommand.Failure("\(where_): missing \"\(key.stringValue)\"; each line must be {\"prompt_ids\": [...], \"completion_ids\": [...]}")
            } catch let DecodingError.typeMismatch(_, context) {
                let what = context.codingPath.last?.intValue == nil ? "is not an array of integer token ids" : "is not an integer token id"
                throw LogprobsCommand.Failure("\(where_): \(Self.path(context)) \(what)")
            } catch let DecodingError.valueNotFound(_, context) {
                throw LogprobsCommand.Failure("\(where_): \(Self.path(context)) is null; expected integer token ids")
            } catch DecodingError.dataCorrupted {
                throw LogprobsCommand.Failure("\(where_): \"prompt_ids\" and \"completion_ids\" must be arrays of integer token ids (each in Int32 range)")
            }
            items.append(LogprobsInput(line: index + 1, prompt: ids.prompt_ids, completion: ids.completion_ids))
        }
        return items
    }
}
