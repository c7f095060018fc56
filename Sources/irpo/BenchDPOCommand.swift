import ArgumentParser
import Foundation
import IRPOModel
import IRPOPipeline
import IRPOTensor
import IRPOTraining

/// `irpo bench dpo`: preference-pair training throughput. Each step is one
/// `Trainer.step()` of the paper's RPO loss (DPO sigmoid, beta 0.1, plus alpha 1 times the
/// per-sequence NLL of the winner) on `--pairs` random pairs: chosen and rejected rows of all
/// pairs in one forward, loss, backward, AdamW (lr 1e-6, no weight decay, no clipping), with the
/// reference log-probs computed once before timing. Same geometry, loss and JSON keys as
/// `bench/reference/dpo_step.py`; `bench/run-dpo.sh` runs both and prints the ratio.
struct BenchDPOCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dpo",
        abstract: "Measure preference-pair (DPO + NLL) training throughput on random pairs.",
        discussion: "Example: irpo bench dpo --shape smollm-135m --steps 3 --json")

    @Option(name: .long, help: "tiny or smollm-135m.")
    var shape: BenchTrainCommand.Shape = .tiny

    @Option(name: .long, help: "Timed steps (after one untimed warm-up step); default 10 (tiny) or 3 (smollm-135m).")
    var steps: Int?

    @Option(name: .long, help: "Pairs per step; default 4 (tiny) or 2 (smollm-135m).")
    var pairs: Int?

    @Option(name: .long, help: "Prompt tokens per pair; default 128 (tiny) or 256 (smollm-135m).")
    var promptLength: Int?

    @Option(name: .long, help: "Tokens per chosen and per rejected completion; default as --prompt-length.")
    var completionLength: Int?

    @OptionGroup var compute: ComputeOptions
    /// Threads of this benchmark: `--threads`, else 2 (the reference scripts' default).
    var threads: Int { compute.threads ?? 2 }

    @Flag(name: .long, help: "Print exactly one JSON line.")
    var json = false

    func validate() throws {
        for (name, value) in [("--steps", steps), ("--pairs", pairs), ("--prompt-length", promptLength),
                              ("--completion-length", completionLength)] {
            if let value, value < 1 { throw ValidationError("\(name) must be at least 1, got \(value)") }
        }
        try CommandLimits.check("--steps", steps, 1...PipelineLimits.maxSteps)
        try CommandLimits.check("--pairs", pairs, 1...PipelineLimits.maxTrainingBatchSize)
        try CommandLimits.check("--prompt-length", promptLength, 1...PipelineLimits.maxSequenceTokens)
        try CommandLimits.check("--completion-length", completionLength, 1...PipelineLimits.maxSequenceTokens)
    }

    /// Pairs, prompt and completion length per step as in `dpo_step.py` (2,048 tokens per step).
    var geometry: (pairs: Int, prompt: Int, completion: Int) {
        let (defaultPairs, defaultLength) = shape == .tiny ? (4, 128) : (2, 256)
        return (pairs ?? defaultPairs, promptLength ?? defaultLength, completionLength ?? defaultLength)
    }

    mutating func run() throws {
        ComputeContext(threads: threads).apply()
        let stepCount = steps ?? shape.defaultSteps
        let (pairCount, promptTokens, completionTokens) = geometry
        let configuration = shape.configuration
        let vocabulary = UInt64(configuration.vocabularySize)
        var random = SeededGenerator(seed: 7)
        func tokens(_ count: Int) -> [Int32] { (0..<count).map { _ in Int32(random.next() % vocabulary) } }
        let examples = (0..<pairCount).map { index in
            TrainingExample(line: index + 1, prompt: tokens(promptTokens), chosen: tokens(completionTokens),
                            rejected: tokens(completionTokens))
        }

        let model = LlamaTrainingModel(try LlamaModel(configuration: configuration, seed: 42))
        // Reference log-probs once, untimed, from the starting weights (as dpo_step.py does).
        let reference = try ReferenceLogProbs.compute(model: model, examples: examples, referenceModel: "bench",
                                                      sequencesPerForward: 2 * pairCount)
        var settings = TrainerConfiguration()
        settings.objective = .rpo(alpha: 1, beta: 0.1)
        settings.learningRate = 1e-6
        settings.optimizer = AdamWConfiguration(weightDecay: 0)
        settings.batchSize = pairCount
        settings.microBatchSize = pairCount
        settings.maxGradNorm = 0
        settings.maxLength = promptTokens + completionTokens
        settings.maxSteps = stepCount + 1
        let trainer = try Trainer(model: model, examples: examples, reference: reference,
                                  configuration: settings, outputDirectory: nil)

        var loss = try trainer.step().loss   // warm-up
        let start = ResourceUsage.seconds()
        for _ in 0..<stepCount { loss = try trainer.step().loss }
        let elapsed = ResourceUsage.seconds() - start

        let pairsPerSecond = Double(pairCount * stepCount) / elapsed
        let tokensPerSecond = Double(2 * pairCount * (promptTokens + completionTokens) * stepCount) / elapsed
        let rss = ResourceUsage.peakResidentBytes()
        if json {
            print("{\"shape\": \"\(shape.rawValue)\", \"pairs_per_s\": \(pairsPerSecond), \"tokens_per_s\": \(tokensPerSecond), \"peak_rss_bytes\": \(rss), \"threads\": \(threads), \"steps\": \(stepCount), \"pairs\": \(pairCount), \"prompt_len\": \(promptTokens), \"completion_len\": \(completionTokens), \"seconds_per_step\": \(elapsed / Double(stepCount)), \"last_loss\": \(loss), \"blas_core\": \"\(BLASKernelSelection.coreName)\"}")
        } else {
            print("blas: \(BLASKernelSelection.summary)")
            print(VectorKernels.summary)
            print("shape \(shape.rawValue): \(model.parameterCount) parameters, \(pairCount) pairs x (\(promptTokens) + \(completionTokens)) tokens per step, \(threads) threads, \(stepCount) timed steps")
            print(String(format: "pairs/s %.3f   tokens/s %.1f   step %.3f s   last loss %.4f   peak RSS %.2f GB",
                         pairsPerSecond, tokensPerSecond, elapsed / Double(stepCount), loss, Double(rss) / 1e9))
        }
    }
}
