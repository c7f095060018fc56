import ArgumentParser
import Foundation
import IRPOGeneration
import IRPOModel
import IRPOPipeline
import IRPOTensor

/// `irpo bench generate`: generation tokens/s on random weights: `--batch` samples of one random
/// prompt (sharing its prefill), each exactly `--new-tokens` tokens (no EOS), sampled at
/// temperature 1. Compare with `bench/reference/generate.py` run on the same machine.
struct BenchGenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Measure generation speed (KV-cache decoding + sampling) on random weights.",
        discussion: "Example: irpo bench generate --shape tiny --batch 32")

    @Option(name: .long, help: "tiny or smollm-135m.")
    var shape: BenchTrainCommand.Shape = .tiny

    @Option(name: .long, help: "Samples of one prompt decoded together (prefix sharing).")
    var batch = 1

    @Option(name: .long, help: "Prompt length in tokens.")
    var promptLength = 32

    @Option(name: .long, help: "New tokens per sample.")
    var newTokens = 128

    @Option(name: .long, help: "Timed runs (after one untimed warm-up run); the best is reported.")
    var repeats = 3

    @OptionGroup var compute: ComputeOptions
    /// Threads of this benchmark: `--threads`, else 2 (the reference scripts' default).
    var threads: Int { compute.threads ?? 2 }

    @Flag(name: .long, help: "Use BLAS for decode steps instead of the batch-invariant kernel.")
    var blas = false

    @Option(name: .long, help: "How the batch-invariant kernel holds the weights: f32 (exact, default) or q8_0.")
    var weights: DecodeWeightFormat = .f32

    @Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard batch >= 1, promptLength >= 1, newTokens >= 1, repeats >= 1 else {
            throw ValidationError("--batch, --prompt-length, --new-tokens and --repeats must be at least 1")
        }
        try CommandLimits.check("--batch", batch, 1...PipelineLimits.maxSamplingBatchSize)
        try CommandLimits.check("--prompt-length", promptLength, 1...PipelineLimits.maxSequenceTokens)
        try CommandLimits.check("--new-tokens", newTokens, 1...PipelineLimits.maxSequenceTokens)
        try CommandLimits.check("--repeats", repeats, 1...PipelineLimits.maxSteps)
    }

    mutating func run() throws {
        ComputeContext(threads: threads).apply()
        let configuration = shape.configuration
        let model = try LlamaModel(configuration: configuration, seed: 1)
        let prompt = (0..<promptLength).map { Int32(($0 * 7919 + 13) % configuration.vocabularySize) }
        let generator = Generator(model: model, endOfSequenceTokenIDs: [], maxBatchSize: batch,
                                  matmul: blas ? .blas : .batchInvariant, decodeWeights: weights)
        let parameters = GenerateParameters(temperature: 1, maxNewTokens: newTokens, seed: 1)
        var best = Double.infinity
        var generated = 0
        for run in 0...repeats {
            let start = ResourceUsage.seconds()
            let results = try generator.generate(prompts: [prompt], parameters: parameters, samplesPerPrompt: batch)
            let elapsed = ResourceUsage.seconds() - start
            generated = results.joined().reduce(0) { $0 + $1.tokens.count }
            if run > 0 { best = min(best, elapsed) }
        }
        let tokensPerSecond = Double(generated) / best
        let rounded = (tokensPerSecond * 10).rounded() / 10
        if json {
            print("{\"shape\": \"\(shape.rawValue)\", \"batch\": \(batch), \"prompt_length\": \(promptLength), \"new_tokens\": \(newTokens), \"tokens_per_s\": \(rounded), \"seconds\": \(best), \"threads\": \(threads), \"matmul\": \"\(blas ? "blas" : "invariant")\", \"weights\": \"\(weights.rawValue)\", \"avx512\": \(VectorKernels.avx512), \"blas_core\": \"\(BLASKernelSelection.coreName)\"}")
        } else {
            print("blas: \(BLASKernelSelection.summary)")
            print(VectorKernels.summary)
            print("shape \(shape.rawValue) (\(model.parameterCount) parameters): \(batch) x \(newTokens) new tokens after a \(promptLength)-token prompt, \(threads) threads, \(blas ? "BLAS" : "batch-invariant (\(weights.rawValue) weights)") decode matmul: \(rounded) tokens/s (best of \(repeats): \(String(format: "%.3f", best)) s)")
        }
    }
}
