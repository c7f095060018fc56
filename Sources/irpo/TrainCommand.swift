import ArgumentParser
import Foundation
import IRPOFormats
import IRPOLoading
import IRPOModel
import IRPOPipeline
import IRPOTensor
import IRPOTokenizer
import IRPOTraining

/// `irpo train`: DPO + NLL (the paper's RPO loss), DPO, IPO or SFT on a pairs / SFT JSONL file.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model on preference pairs (rpo = DPO + alpha * NLL, dpo, ipo) or SFT rows (sft).",
        discussion: """
        Pairs are JSONL rows in TRL's preference format: prompt/chosen/rejected as text (tokenised with the
        model's tokenizer.json: the prompt with special tokens, completions without, plus EOS) or as
        prompt_ids/chosen_ids/rejected_ids. SFT rows are prompt/completion (or *_ids).
        Reference log-probs are computed once under --reference (default: --model) and cached next to the
        pairs as <pairs>.ref_logps.json. The output folder gets metrics.jsonl (TRL's names), checkpoint-NNNNNN/
        folders (HF model + optimizer state) and model/ when done; --resume continues from the newest
        checkpoint and ends with the weights an uninterrupted run would have.
        With --lora-rank, the model stays frozen and low-rank adapters are trained instead; model/ holds the
        merged model (a plain HF folder) and model/adapter/ the adapters in PEFT's format.

        Example: irpo train --model models/m0 --pairs pairs.jsonl --output runs/train --loss rpo --alpha 1 --beta 0.1 --lr 1e-6
        """)

    enum Loss: String, ExpressibleByArgument, CaseIterable { case rpo, dpo, ipo, sft }

    @Option(name: .long, help: "The model to train (Hugging Face folder), M_{t-1}.")
    var model: String
    @Option(name: .long, help: "Pairs (or SFT rows) as JSONL.")
    var pairs: String
    @Option(name: .long, help: "Output folder (metrics.jsonl, checkpoints, model/).")
    var output: String
    @Option(name: .long, help: "Frozen reference model for the DPO term (default: --model).")
    var reference: String?
    @Option(name: .long, help: "Loss preset: rpo (DPO + alpha*NLL), dpo, ipo, sft.")
    var loss: Loss = .rpo
    @Option(name: .long, help: "beta of the DPO/IPO term (paper: 0.1).")
    var beta: Double = 0.1
    @Option(name: .long, help: "alpha, the weight of the NLL term in rpo (paper: 1).")
    var alpha: Double = 1
    @Option(name: .long, help: "NLL normalisation: sequence (paper), token (TRL's sft) or sum.")
    var nll: NLLNormalization = .perSequence
    @Option(name: .long, help: "Peak learning rate (paper: 7e-7).")
    var lr: Double = 7e-7
    @Option(name: .long, help: "Learning-rate schedule.")
    var schedule: LearningRateSchedule.Kind = .constant
    @Option(name: .long, help: "Linear warmup steps.")
    var warmupSteps: Int = 0
    @Option(name: .long, help: "Pairs per optimizer step (paper: 16).")
    var batchSize: Int = 16
    @Option(name: .long, help: "Pairs per forward/backward; gradients accumulate to --batch-size.")
    var microBatchSize: Int = 4
    @Option(name: .long, help: "Optimizer steps (overrides --epochs).")
    var steps: Int?
    @Option(name: .long, help: "Epochs over the pairs when --steps is not given.")
    var epochs: Int = 1
    @Option(name: .long, help: "Longest prompt + completion in tokens; longer pairs are dropped and counted.")
    var maxLength: Int = 1024
    @Option(name: .long, help: "AdamW decoupled weight decay.")
    var weightDecay: Float = 0
    @Option(name: .long, help: "Global gradient-norm clipping (0: off).")
    var maxGradNorm: Double = 1
    @Option(name: .long, help: "Seed of the data order.")
    var seed: UInt64 = 42
    @Option(name: .long, help: "Checkpoint every N steps (0: only at the end).")
    var checkpointEvery: Int = 0
    @Option(name: .long, help: "Step checkpoints to keep.")
    var checkpointLimit: Int = 2
    @OptionGroup var compute: ComputeOptions
    @Flag(name: .long, help: "Keep only each layer's input in a training pass and recompute the layer in the backward: same gradients, less memory, about a third more time.")
    var gradientCheckpointing = false
    @Flag(name: .long, help: "Continue from the newest checkpoint in --output.")
    var resume = false
    @Option(name: .long, help: "Train LoRA adapters of this rank on the frozen model instead of every weight.")
    var loraRank: Int?
    @Option(name: .long, help: "LoRA alpha; adapters are scaled by alpha / rank (default: 2 x rank).")
    var loraAlpha: Double?
    @Option(name: .long, help: "LoRA dropout on the adapters' input during training (PEFT's lora_dropout).")
    var loraDropout: Double = 0
    @Option(name: .long, help: "Projections that get adapters, comma-separated: all-linear or q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj.")
    var loraTargets: String = "all-linear"

    func validate() throws {
        try CommandLimits.check("--warmup-steps", warmupSteps, 0...PipelineLimits.maxSteps)
        try CommandLimits.check("--batch-size", batchSize, 1...PipelineLimits.maxTrainingBatchSize)
        try CommandLimits.check("--micro-batch-size", microBatchSize, 1...PipelineLimits.maxTrainingBatchSize)
        try CommandLimits.check("--steps", steps, 1...PipelineLimits.maxSteps)
        try CommandLimits.check("--epochs", epochs, 1...PipelineLimits.maxEpochs)
        try CommandLimits.check("--max-length", maxLength, 2...PipelineLimits.maxSequenceTokens)
        try CommandLimits.check("--checkpoint-every", checkpointEvery, 0...PipelineLimits.maxSteps)
        try CommandLimits.check("--checkpoint-limit", checkpointLimit, 1...CommandLimits.maxCheckpointLimit)
        do { try trainerConfiguration().validate() } catch { throw ValidationError("\(error)") }
        do { _ = try loraConfiguration() } catch { throw ValidationError("\(error)") }
        if loraRank == nil, loraAlpha != nil || loraDropout != 0 || loraTargets != "all-linear" {
            throw ValidationError("--lora-alpha, --lora-dropout and --lora-targets need --lora-rank")
        }
    }

    /// The adapters of `--lora-rank` ..., or nil for full training.
    func loraConfiguration() throws -> LoRAConfiguration? {
        guard let rank = loraRank else { return nil }
        let targets = try LoRAConfiguration.parseTargets(loraTargets.split(separator: ",").map(String.init))
        let configuration = LoRAConfiguration(rank: rank, alpha: loraAlpha ?? Double(2 * max(0, min(rank, LoRAConfiguration.maximumRank))),
                                              dropout: loraDropout, targets: targets)
        do {
            try configuration.validate()
        } catch ModelError.invalidConfiguration(let key, let value, let reason) {
            // Name the flag the user typed, not the run config's key.
            let flags = ["lora.rank": "--lora-rank", "lora.alpha": "--lora-alpha", "lora.dropout": "--lora-dropout",
                         "lora.target_modules": "--lora-targets"]
            throw ValidationError("\(flags[key] ?? key) \(value) \(reason)")
        }
        return configuration
    }

    func trainerConfiguration() -> TrainerConfiguration {
        let normalization = nll
        var configuration = TrainerConfiguration()
        switch loss {
        case .rpo: configuration.objective = .rpo(alpha: alpha, beta: beta, nllNormalization: normalization)
        case .dpo: configuration.objective = .dpo(beta: beta)
        case .ipo: configuration.objective = .ipo(beta: beta)
        case .sft: configuration.objective = .sft(normalization: normalization)
        }
        configuration.optimizer = AdamWConfiguration(weightDecay: weightDecay)
        configuration.learningRate = lr
        configuration.scheduleKind = schedule
        configuration.warmupSteps = warmupSteps
        configuration.batchSize = batchSize
        configuration.microBatchSize = microBatchSize
        configuration.maxSteps = steps
        configuration.epochs = epochs
        configuration.maxLength = maxLength
        configuration.maxGradNorm = maxGradNorm
        configuration.seed = seed
        configuration.checkpointEvery = checkpointEvery
        configuration.checkpointLimit = checkpointLimit
        return configuration
    }

    mutating func run() throws {
        compute.context().apply()
        var configuration = trainerConfiguration()
        // Rows longer than the model's context are dropped like rows over --max-length, as the
        // pipeline does; they are never trained on (or sized into activations) past the context.
        let context = try Self.contextLength(model: model)
        if configuration.maxLength > context {
            log("--max-length \(configuration.maxLength) is above the model's context of \(context) tokens; using \(context)")
            configuration.maxLength = context
        }
        let pairsURL = URL(fileURLWithPath: pairs)
        let outputURL = URL(fileURLWithPath: output)
        let dataset = try PreferenceDataset(contentsOf: pairsURL)
        let examples = try dataset.tokenized(using: dataset.needsTokenizer ? try Self.textTokenizer(model: model) : nil)
        let selection = try ExampleSelection(examples, maxLength: configuration.maxLength, file: pairs)
        log("\(pairs): \(selection.examples.count) \(dataset.isPreferencePairs ? "pairs" : "SFT rows") kept, "
            + "\(selection.droppedCount) dropped as longer than \(configuration.maxLength) tokens"
            + (selection.droppedCount > 0 ? " (first at line \(selection.droppedLines[0]))" : ""))

        // With LoRA the base is loaded once, kept frozen (a quantised GGUF stays quantised), and
        // scores the reference too when no other reference model is given.
        let lora = try loraConfiguration()
        let frozenBase = try lora.map { _ in try ModelSource(path: model).loadFrozenBase() }
        if let frozenBase, let projections = frozenBase.frozenProjections {
            log("base \(model): projections kept as \(projections.typeNames.joined(separator: "/")) (\(projections.byteCount / 1_000_000) MB instead of \(projections.weightCount * 4 / 1_000_000) MB as F32)")
        }
        var referenceValues: ReferenceLogProbs?
        if configuration.objective.needsReference {
            let referencePath = reference ?? model
            let cacheURL = URL(fileURLWithPath: pairs + ".ref_logps.json")
            let identity = URL(fileURLWithPath: referencePath).standardizedFileURL.path
            let result = try ReferenceLogProbs.cached(
                at: cacheURL, examples: selection.examples, referenceModel: identity,
                sequencesPerForward: 2 * configuration.microBatchSize,
                makeModel: { () throws -> LlamaTrainingModel in
                    if let frozenBase, reference == nil { return LlamaTrainingModel(frozenBase) }
                    return try LlamaTrainingModel(ModelSource(path: referencePath).loadModel())
                },
                progress: { done, total in if done == total || done % 256 < 2 * configuration.microBatchSize { log("reference log-probs: \(done)/\(total)") } })
            referenceValues = result.values
            log(result.reused ? "reference log-probs reused from \(cacheURL.path)" : "reference log-probs written to \(cacheURL.path)")
        }

        if resume, FileManager.default.fileExists(atPath: outputURL.path) {
            // A training killed while writing a checkpoint leaves its hidden temporary folder.
            for leftover in try InterruptedWrites.clean(outputURL) { log("--resume: removed \(leftover), left by an interrupted write") }
        }
        let checkpoint = resume ? Trainer<LlamaTrainingModel>.latestCheckpoint(in: outputURL) : nil
        if resume && checkpoint == nil { log("--resume: no checkpoint in \(output); starting from step 0") }
        if let lora, let frozenBase {
            // The base stays --model; a checkpoint holds the adapters in model/adapter/.
            let trainable = try LoRATrainingModel(base: frozenBase, baseModelName: model, lora: lora, seed: seed,
                                                  resumeFrom: checkpoint?.appendingPathComponent("model"),
                                                  recomputingLayers: gradientCheckpointing)
            log("LoRA rank \(lora.rank), alpha \(lora.alpha) on \(lora.targets.map(\.rawValue).joined(separator: ", ")): "
                + "\(trainable.parameterCount) trainable weights, base frozen (\(trainable.model.parameterCount))")
            try train(trainable, examples: selection.examples, reference: referenceValues, configuration: configuration,
                      output: outputURL, checkpoint: checkpoint)
        } else {
            let modelPath = checkpoint.map { $0.appendingPathComponent("model").path } ?? model
            try train(LlamaTrainingModel(try ModelSource(path: modelPath).loadModel(), recomputingLayers: gradientCheckpointing), examples: selection.examples, reference: referenceValues,
                      configuration: configuration, output: outputURL, checkpoint: checkpoint)
        }
    }

    /// Runs the trainer on `trainable`, logging every step, and prints the final model's path.
    private func train<Model: TrainableLanguageModel>(
        _ trainable: Model, examples: [TrainingExample], reference: ReferenceLogProbs?,
        configuration: TrainerConfiguration, output: URL, checkpoint: URL?
    ) throws {
        let trainer = try Trainer(model: trainable, examples: examples, reference: reference,
                                  configuration: configuration, outputDirectory: output)
        if let checkpoint {
            try trainer.resume(from: checkpoint)
            log("resumed from \(checkpoint.path) at step \(trainer.completedSteps)")
        }
        let total = trainer.totalSteps
        let start = Date()
        let summary = try trainer.train { metrics in
            var line = String(format: "step %d/%d loss %.5f nll %.4f logps/chosen %.3f", metrics.step, total, metrics.loss,
                              metrics.nll, metrics.logpsChosen)
            if let margin = metrics.rewardsMargins, let accuracy = metrics.rewardsAccuracies {
                line += String(format: " margin %.4f acc %.2f", margin, accuracy)
            }
            line += String(format: " grad_norm %.3f lr %.3g (%.1f s)", metrics.gradNorm, metrics.learningRate, Date().timeIntervalSince(start))
            log(line)
            return .proceed
        }
        if let finalModel = summary.finalModel {
            // The trained folder is a complete model: evaluate, serve or train it further as it is.
            // (A model trained on token ids may have no tokenizer to copy.)
            let source = try ModelSource(path: model)
            if source.hasTokenizer {
                try source.writeTokenizerFiles(to: finalModel)
            } else {
                log("\(model) has no tokenizer files; \(finalModel.path) has none either")
            }
            print(finalModel.path)
        }
    }

    /// The context length (`max_position_embeddings`) of the model at `model` (any path
    /// `ModelSource` accepts), read from its configuration without loading the weights.
    static func contextLength(model: String) throws -> Int {
        try ModelSource(path: model).configuration().maxPositionEmbeddings
    }

    /// Text tokenisation for the data: prompts with the tokenizer's special tokens (BOS),
    /// completions without, followed by EOS when the tokenizer defines one.
    static func textTokenizer(model: String) throws -> (String, PreferenceDataset.FieldRole) throws -> [Int32] {
        guard let tokenizer = try ModelSource(path: model).tokenizer() else {
            throw ValidationError("\(model) has only a character vocabulary; pass the pairs as token ids (prompt_ids, chosen_ids, rejected_ids)")
        }
        let eos = tokenizer.configuration.eosTokenID.map { [Int32($0)] } ?? []
        return { text, role in
            switch role {
            case .prompt: return tokenizer.encode(text, addSpecialTokens: true).map { Int32($0) }
            case .completion: return tokenizer.encode(text, addSpecialTokens: false).map { Int32($0) } + eos
            }
        }
    }
}

private func log(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
