import ArgumentParser
import Foundation
import IRPOGeneration
import IRPOLoading
import IRPOModel
import IRPOPipeline
import IRPOTensor
import IRPOTokenizer

/// `irpo generate`: sample completions from a model, for one prompt or a JSONL file of prompts.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate completions with the local engine (KV cache, batched, seeded).",
        discussion: """
        One prompt: --prompt TEXT (needs the model's tokenizer.json) or --prompt-ids "1,2,3"; the
        completions are printed (streamed when --n is 1).
        Batch mode: --input FILE.jsonl with one {"prompt": "..."} or {"prompt_ids": [...]} object per
        line (an optional "id" is copied to the output); --output FILE.jsonl receives one line per
        sample: {"id", "prompt_index", "sample_index", "text", "token_ids", "finish_reason",
        "logprobs"}. Sample j of prompt i depends only on (--seed, i, j).

        Example: irpo generate --model models/smollm2-135m-instruct --chat --prompt "What is 7 * 6?" --n 4 --temperature 0.8
        """)

    @Option(name: .long, help: "A Hugging Face model folder (config.json, safetensors, tokenizer.json), a .gguf file, or a folder holding one.")
    var model: String

    @Option(name: .long, help: "Prompt text.")
    var prompt: String?

    @Option(name: .long, help: "Prompt token ids, comma-separated (no tokenizer needed).")
    var promptIds: String?

    @Option(name: .long, help: "JSONL file of prompts (batch mode).")
    var input: String?

    @Option(name: .long, help: "Write JSONL results here (default: standard output).")
    var output: String?

    @Flag(name: .long, help: "Wrap each prompt as a user message in the model's chat template.")
    var chat = false

    @Option(name: .customLong("n"), help: "Samples per prompt.")
    var samples = 1

    @Option(name: .long, help: "Sampling temperature; 0 = greedy.")
    var temperature: Float = 1

    @Option(name: .long, help: "Nucleus sampling threshold (1 = off).")
    var topP: Float = 1

    @Option(name: .long, help: "Keep the k most likely tokens (0 = off).")
    var topK = 0

    @Option(name: .long, help: "Keep tokens with probability >= min-p x the top probability (0 = off).")
    var minP: Float = 0

    @Option(name: .long, help: "Repetition penalty (1 = off).")
    var repetitionPenalty: Float = 1

    @Option(name: .long, help: "Most new tokens per sample.")
    var maxTokens = 256

    @Option(name: .long, help: "Stop string (repeatable).")
    var stop: [String] = []

    @Option(name: .long, help: "Random seed.")
    var seed: UInt64 = 0

    @Flag(name: .long, help: "Include each sampled token's log-probability.")
    var logprobs = false

    @Option(name: .long, help: "Most samples decoded together.")
    var batchSize = 32

    @Option(name: .long, help: "How the decode kernel holds the weights: f32 (exact, default) or q8_0 (the linear weights quantised to Q8_0: faster, samples of the quantised model).")
    var weights: DecodeWeightFormat = .f32

    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        let sources = [prompt != nil, promptIds != nil, input != nil].filter { $0 }.count
        guard sources == 1 else { throw ValidationError("pass exactly one of --prompt, --prompt-ids or --input") }
        try CommandLimits.check("--n", samples, 1...PipelineLimits.maxSamplesPerQuestion)
        try CommandLimits.check("--batch-size", batchSize, 1...PipelineLimits.maxSamplingBatchSize)
        try CommandLimits.check("--max-tokens", maxTokens, 0...PipelineLimits.maxSequenceTokens)
        try CommandLimits.check("--top-k", topK, 0...PipelineLimits.maxTopK)
        do { try parameters.validate() } catch { throw ValidationError("\(error)") }
    }

    var parameters: GenerateParameters {
        GenerateParameters(temperature: temperature, topP: topP, topK: topK, minP: minP,
                           repetitionPenalty: repetitionPenalty, maxNewTokens: maxTokens, stop: stop,
                           seed: seed, returnLogProbs: logprobs)
    }

    mutating func run() throws {
        compute.context().apply()
        let source = try ModelSource(path: model)
        let loaded = try source.loadModel()
        let tokenizer = try GenerateCommandSupport.loadTokenizer(source: source, required: prompt != nil || chat)
        let rows: [GenerateCommandSupport.PromptRow]
        if let prompt {
            rows = [GenerateCommandSupport.PromptRow(id: nil, text: prompt, ids: nil)]
        } else if let promptIds {
            rows = [GenerateCommandSupport.PromptRow(id: nil, text: nil, ids: try GenerateCommandSupport.parseIDs(promptIds))]
        } else {
            rows = try GenerateCommandSupport.readPrompts(path: input ?? "")
        }
        let prompts = try rows.enumerated().map { index, row in
            try GenerateCommandSupport.tokens(for: row, index: index, tokenizer: tokenizer, chat: chat, source: input ?? "--prompt")
        }
        var eos = Set(loaded.configuration.eosTokenIDs.map { Int32(truncatingIfNeeded: $0) })
        if let id = tokenizer?.configuration.eosTokenID { eos.insert(Int32(truncatingIfNeeded: id)) }
        eos.formUnion(source.generationConfigEOS())
        let generator = Generator(model: loaded, endOfSequenceTokenIDs: eos, maxBatchSize: batchSize, tokenizer: tokenizer,
                                  decodeWeights: weights)

        let interactive = input == nil
        let streaming = interactive && samples == 1 && tokenizer != nil && output == nil
        let results = try generator.generate(prompts: prompts, parameters: parameters, samplesPerPrompt: samples) { event in
            if streaming, let piece = event.text, !piece.isEmpty {
                FileHandle.standardOutput.write(Data(piece.utf8))
            }
        }
        if interactive && output == nil {
            if streaming {
                print("")
            } else {
                for result in results.joined() {
                    if samples > 1 { print("--- sample \(result.sampleIndex) (\(result.finishReason.rawValue)) ---") }
                    print(result.text ?? result.tokens.map { "\($0)" }.joined(separator: " "))
                }
            }
            return
        }
        let lines = results.joined().map { GenerateCommandSupport.jsonLine($0, id: rows[$0.promptIndex].id) }
        let text = lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")
        if let output {
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                throw GenerateCommandSupport.Failure("\(output): cannot write the results (\(error.localizedDescription)); check the path and permissions")
            }
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}
