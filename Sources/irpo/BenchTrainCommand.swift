import ArgumentParser
import Foundation
import IRPOFormats
import IRPOModel
import IRPOPipeline
import IRPOTensor
import IRPOTraining

/// `irpo bench train`: a full training step (forward, backward, AdamW) on random weights and
/// random tokens, in tokens/s and GFLOP/s against the measured sgemm GFLOP/s; with `--lora`, the
/// same step training LoRA adapters on the frozen weights.
struct BenchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Measure training-step speed (forward + backward + AdamW) on random data.",
        discussion: """
        Peak memory is the process's, so compare full training and LoRA in two runs:
        irpo bench train --shape smollm-135m, then irpo bench train --shape smollm-135m --lora.
        With --lora, --base-type q8_0 or q4_0 keeps the frozen projections quantised in memory
        (dequantised layer by layer inside the products), as a quantised GGUF base is trained.
        The 1b shape (2048 hidden, 16 layers, 8192 intermediate, 32k vocabulary) is for --lora.

        Example: irpo bench train --shape tiny --steps 10 --threads 2
        """)

    /// The benchmark shapes: `tiny` (3.4M parameters, 8 x 256 tokens), `smollm-135m` (4 x 512)
    /// and `1b` (Llama-3.2-1B's layers with a 32k vocabulary, 1.04B parameters, 2 x 512).
    enum Shape: String, ExpressibleByArgument, CaseIterable {
        case tiny
        case smollm135m = "smollm-135m"
        case oneBillion = "1b"

        var configuration: LlamaConfiguration {
            switch self {
            case .tiny:
                return LlamaConfiguration(vocabularySize: 512, hiddenSize: 256, intermediateSize: 688, layerCount: 4,
                                          attentionHeads: 4, keyValueHeads: 4, maxPositionEmbeddings: 2048)
            case .smollm135m:
                return LlamaConfiguration(vocabularySize: 49152, hiddenSize: 576, intermediateSize: 1536, layerCount: 30,
                                          attentionHeads: 9, keyValueHeads: 3, rmsNormEpsilon: 1e-5,
                                          maxPositionEmbeddings: 2048, tieWordEmbeddings: true)
            case .oneBillion:
                return LlamaConfiguration(vocabularySize: 32000, hiddenSize: 2048, intermediateSize: 8192, layerCount: 16,
                                          attentionHeads: 32, keyValueHeads: 8, rmsNormEpsilon: 1e-5,
                                          maxPositionEmbeddings: 2048, tieWordEmbeddings: true)
            }
        }

        /// (batch, sequence length)
        var batchShape: (Int, Int) {
            switch self {
            case .tiny: return (8, 256)
            case .smollm135m: return (4, 512)
            case .oneBillion: return (2, 512)
            }
        }

        var defaultSteps: Int {
            switch self {
            case .tiny: return 10
            case .smollm135m: return 3
            case .oneBillion: return 2
            }
        }
    }

    @Option(name: .long, help: "tiny, smollm-135m or 1b.")
    var shape: Shape = .tiny

    @Option(name: .long, help: "Timed steps (after one untimed warm-up step).")
    var steps: Int?

    @OptionGroup var compute: ComputeOptions
    /// Threads of this benchmark: `--threads`, else 2 (the reference scripts' default).
    var threads: Int { compute.threads ?? 2 }

    @Flag(name: .long, help: "Print exactly one JSON line.")
    var json = false

    @Flag(name: .long, help: "Train LoRA adapters on every linear projection of the frozen model instead of every weight.")
    var lora = false

    @Option(name: .long, help: "Rank of the adapters with --lora (alpha is 2 x rank).")
    var loraRank = 16

    @Flag(name: .long, help: "Recompute each layer's activations in the backward instead of keeping them (less memory, more time; the FLOPs counted stay the useful ones).")
    var gradientCheckpointing = false

    @Option(name: .long, help: "With --lora: f32 (default), or q8_0 / q4_0 to keep the frozen projections quantised in memory.")
    var baseType = "f32"

    func validate() throws {
        guard ["f32", "q8_0", "q4_0"].contains(baseType.lowercased()) else {
            throw ValidationError("--base-type \(baseType) is not f32, q8_0 or q4_0")
        }
        guard baseType.lowercased() == "f32" || lora else {
            throw ValidationError("--base-type \(baseType) keeps a frozen base quantised and needs --lora")
        }
        try CommandLimits.check("--steps", steps, 1...PipelineLimits.maxSteps)
        try CommandLimits.check("--lora-rank", loraRank, 1...LoRAConfiguration.maximumRank)
    }

    mutating func run() throws {
        ComputeContext(threads: threads).apply()
        let stepCount = steps ?? shape.defaultSteps
        let sgemm = GEMM.measureGFLOPs()

        let configuration = shape.configuration
        let (batchSize, length) = shape.batchShape
        let model = try Self.makeModel(configuration, baseType: GGMLType.allCases.first { $0.name == baseType.uppercased() })
        // Full training: gradients and AdamW moments of every weight. LoRA: of the adapters only
        // (PEFT's initialisation; B = 0 makes no product cheaper).
        let adapters = lora ? try LoRAAdapters(model: configuration, lora: LoRAConfiguration(rank: loraRank, alpha: Double(2 * loraRank)), seed: 1) : nil
        let gradients = adapters == nil ? ParameterBuffer(layout: model.layout) : nil
        let adapterGradients = adapters.map { LoRABuffer(layout: $0.layout) }
        let trainable = adapters?.parameterCount ?? model.parameterCount
        // AdamW as in train_step.py: torch.optim.AdamW(lr=1e-4, weight_decay=0.01).
        let optimizer = AdamWOptimizer(count: trainable, configuration: AdamWConfiguration(weightDecay: 0.01))
        var generator = SeededGenerator(seed: 7)
        let sequences = (0..<batchSize).map { _ in
            (0..<length).map { _ in Int32(generator.next() % UInt64(configuration.vocabularySize)) }
        }
        let batch = TokenBatch(sequences: sequences)
        // Mean-NLL loss like the PyTorch reference: d loss / d sum_b = -1 / scored tokens.
        let dSum = [Float](repeating: -1 / Float(batch.scoredTokenCount), count: batchSize)

        var phase = [0.0, 0.0, 0.0]   // forward, backward, optimizer
        func step(timed: Bool) throws {
            func record(_ t0: Double, _ t1: Double, _ t2: Double, _ t3: Double) {
                guard timed else { return }
                phase[0] += t1 - t0
                phase[1] += t2 - t1
                phase[2] += t3 - t2
            }
            let t0 = ResourceUsage.seconds()
            gradients?.zero()
            adapterGradients?.zero()
            let pass = try model.forward(batch, recomputingLayers: gradientCheckpointing,
                                         shards: LlamaModel.defaultTrainingShards, adapters: adapters)
            let t1 = ResourceUsage.seconds()
            if let adapters, let adapterGradients {
                model.backward(pass, dSumLogProbs: dSum, adapterGradients: adapterGradients)
                let t2 = ResourceUsage.seconds()
                optimizer.update(parameters: adapters.weights.base, gradients: adapterGradients.base, learningRate: 1e-4)
                record(t0, t1, t2, ResourceUsage.seconds())
            } else if let gradients {
                model.backward(pass, dSumLogProbs: dSum, into: gradients)
                let t2 = ResourceUsage.seconds()
                optimizer.update(parameters: model.parameters.base, gradients: gradients.base, learningRate: 1e-4)
                record(t0, t1, t2, ResourceUsage.seconds())
            }
        }
        try step(timed: false)
        let start = ResourceUsage.seconds()
        for _ in 0..<stepCount { try step(timed: true) }
        let elapsed = ResourceUsage.seconds() - start

        let tokens = Double(batchSize * length * stepCount)
        let flops = (adapters.map { Self.loraTrainingFLOPs(configuration, adapters: $0.parameterCount, batch: batchSize, length: length) }
            ?? Self.trainingFLOPs(configuration, batch: batchSize, length: length)) * Double(stepCount)
        let tokensPerSecond = tokens / elapsed
        let gflops = flops / elapsed / 1e9
        let rss = ResourceUsage.peakResidentBytes()
        if json {
            print("{\"shape\": \"\(shape.rawValue)\", \"mode\": \"\(lora ? "lora" : "full")\", \"gradient_checkpointing\": \(gradientCheckpointing), \"trainable_parameters\": \(trainable), \"tokens_per_s\": \(Self.round(tokensPerSecond)), \"gflops\": \(Self.round(gflops)), \"sgemm_gflops\": \(Self.round(sgemm)), \"peak_rss_bytes\": \(rss), \"threads\": \(threads), \"steps\": \(stepCount), \"blas_core\": \"\(BLASKernelSelection.coreName)\"}")
        } else {
            print("blas: \(BLASKernelSelection.summary)")
            print(VectorKernels.summary)
            print("shape \(shape.rawValue): \(model.parameterCount) parameters, batch \(batchSize) x \(length), \(threads) threads, \(stepCount) timed steps")
            if gradientCheckpointing { print("gradient checkpointing: each layer recomputed in the backward") }
            if lora { print("LoRA rank \(loraRank), alpha \(2 * loraRank) on every linear projection: \(trainable) trainable weights, base frozen") }
            if let projections = model.frozenProjections {
                print("frozen projections kept as \(projections.typeNames.joined(separator: "/")): \(projections.byteCount / 1_000_000) MB (F32: \(projections.weightCount * 4 / 1_000_000) MB)")
            }
            print(String(format: "tokens/s %.1f   step %.3f s (forward %.3f, backward %.3f, AdamW %.3f)",
                         tokensPerSecond, elapsed / Double(stepCount), phase[0] / Double(stepCount),
                         phase[1] / Double(stepCount), phase[2] / Double(stepCount)))
            print(String(format: "achieved %.1f GFLOP/s = %.0f%% of measured sgemm %.1f GFLOP/s ([4096x576]x[576x1536])",
                         gflops, 100 * gflops / sgemm, sgemm))
            print(String(format: "peak RSS %.2f GB", Double(rss) / 1e9))
        }
    }

    /// FLOPs of one training step, counted as bench/reference/README.md does (so GFLOP/s of
    /// irpo and PyTorch compare directly): `6 * P * B * S + 12 * L * B * S^2 * H` with `P` the
    /// parameters in matrix products (q, k, v, o, gate, up, down per layer, plus the LM head),
    /// 6 = forward 2 + backward 4 per parameter and token, and attention's `QK^T` and `PV` over
    /// the full square, times 3 for forward + backward. (This engine skips most of the masked
    /// half of attention and computes the LM head at the B*(S-1) scored rows only.)
    static func trainingFLOPs(_ c: LlamaConfiguration, batch: Int, length: Int) -> Double {
        let tokens = Double(batch * length)
        let perLayer = Double(c.hiddenSize * (2 * c.queryWidth + 2 * c.keyValueWidth) + 3 * c.hiddenSize * c.intermediateSize)
        let matmulParameters = Double(c.layerCount) * perLayer + Double(c.vocabularySize * c.hiddenSize)
        let attention = 12 * Double(c.layerCount) * Double(batch) * Double(length) * Double(length) * Double(c.queryWidth)
        return 6 * matmulParameters * tokens + attention
    }

    /// FLOPs of one LoRA training step on the frozen base, counted like `trainingFLOPs`: the
    /// base products forward (2) and backward to the inputs only (2), so `4 * P * B * S`, plus
    /// attention, plus `6 * A * B * S` for the `A` adapter weights.
    static func loraTrainingFLOPs(_ c: LlamaConfiguration, adapters: Int, batch: Int, length: Int) -> Double {
        let tokens = Double(batch * length)
        let full = trainingFLOPs(c, batch: batch, length: length)
        let perLayer = Double(c.hiddenSize * (2 * c.queryWidth + 2 * c.keyValueWidth) + 3 * c.hiddenSize * c.intermediateSize)
        let matmulParameters = Double(c.layerCount) * perLayer + Double(c.vocabularySize * c.hiddenSize)
        return full - 2 * matmulParameters * tokens + 6 * Double(adapters) * tokens
    }

    static func round(_ value: Double) -> Double { (value * 100).rounded() / 100 }

    /// The random model of `configuration` (seed 42); with a quantised `baseType`, its projections
    /// are drawn one matrix at a time and kept quantised, so no F32 copy of them is ever held.
    static func makeModel(_ configuration: LlamaConfiguration, baseType: GGMLType?) throws -> LlamaModel {
        guard let baseType, baseType != .f32 else { return try LlamaModel(configuration: configuration, seed: 42) }
        var generator = SeededGenerator(seed: 42)
        let std = Float(configuration.initializerRange)
        var matrices: [[QuantizedMatrix]] = []
        for _ in 0..<configuration.layerCount {
            var list: [QuantizedMatrix] = []
            for target in LoRATarget.allCases {
                let shape = target.shape(in: configuration)
                let values = UnsafeMutableBufferPointer<Float>.allocate(capacity: shape.out * shape.in)
                defer { values.deallocate() }
                generator.fillNormal(values.baseAddress!, count: values.count, mean: 0, std: std)
                guard let bytes = GGUFQuantizer.byteCount(of: values.count, as: baseType) else {
                    throw ValidationError("--base-type \(baseType.name): the shape's rows are not whole blocks")
                }
                let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes, alignment: 16)
                defer { raw.deallocate() }
                try GGUFQuantizer.quantize(UnsafeBufferPointer(values), as: baseType, into: raw)
                list.append(try QuantizedMatrix(type: baseType, rows: shape.out, columns: shape.in, bytes: UnsafeRawBufferPointer(raw)))
            }
            matrices.append(list)
        }
        let model = try LlamaModel(configuration: configuration,
                                   frozenProjections: try FrozenProjections(configuration: configuration, matrices: matrices))
        model.parameters.initializeRandomly(seed: 43, std: std)
        return model
    }
}
