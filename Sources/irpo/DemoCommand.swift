import ArgumentParser
import Foundation
import IRPOPipeline
import IRPOTensor
import IRPOTraining

/// `irpo demo`: the built-in end-to-end demonstration on the synthetic task.
/// Every setting the demo's experiments varied has a flag (defaults: `DemoSettings()`).
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Train a small model from scratch on the synthetic task (M0), then run Iterative RPO and print the accuracy table.",
        discussion: """
            Writes M0, every iteration's model, samples, pairs and report (report.md with SVG charts) under --output.

            Example: irpo demo --output runs/demo --seed 2
            """)

    @Option(name: .long, help: "tiny: a 0.6M model trained from scratch (the default); smollm2: SmolLM2-135M-Instruct from its PyPI package.")
    var model = "tiny"

    @Option(name: .long, help: "With --model smollm2: gold (the gold solution joins the winners), self (own samples only) or both.")
    var variant = "both"

    @Flag(name: .long, help: "Skip the iteration-1 baselines (SFT on gold, SFT on chosen, DPO).")
    var skipBaselines = false

    @Option(name: .long, help: "Output folder (resumes if it holds an unfinished demo; default runs/demo, or runs/smollm2).")
    var output: String?

    @Option(name: .long, help: "RPO iterations (default: 3).")
    var iterations: Int?

    @Option(name: .long, help: "Model width d (M0 is trained from scratch).")
    var hiddenSize: Int?

    @Option(name: .long, help: "Transformer layers.")
    var layers: Int?

    @Option(name: .long, help: "Attention heads.")
    var heads: Int?

    @Option(name: .long, help: "SwiGLU intermediate size.")
    var intermediateSize: Int?

    @Option(name: .long, help: "Gold CoTs for M0.")
    var sftExamples: Int?

    @Option(name: .long, help: "Probability that a step of an M0 gold CoT uses a rare phrasing.")
    var sftRareProbability: Double?

    @Option(name: .long, help: "SFT steps of M0.")
    var sftSteps: Int?

    @Option(name: .long, help: "SFT learning rate of M0.")
    var sftLr: Double?

    @Option(name: .long, help: "Fresh training questions per RPO iteration.")
    var questions: Int?

    @Option(name: .long, help: "Samples per training question, N.")
    var samples: Int?

    @Option(name: .long, help: "Sampling temperature.")
    var temperature: Double?

    @Option(name: .long, help: "Pairs per question, K.")
    var pairs: Int?

    @Option(name: .long, help: "RPO learning rate.")
    var lr: Double?

    @Option(name: .long, help: "RPO batch size (pairs).")
    var batchSize: Int?

    @Option(name: .long, help: "Epochs over each iteration's pairs.")
    var epochs: Int?

    @Option(name: .long, help: "Weight of the NLL term, alpha.")
    var alpha: Double?

    @Option(name: .long, help: "DPO beta.")
    var beta: Double?

    @Option(name: .long, help: "NLL normalisation: sequence (paper), token (TRL) or sum (variant).")
    var nll: NLLNormalization?

    @Option(name: .long, help: "Held-out training questions that choose each iteration's checkpoint (0: keep the last step).")
    var selectionQuestions: Int?

    @Option(name: .long, help: "Steps between the checkpoints scored for selection (the last step is always scored).")
    var selectionEvery: Int?

    @Option(name: .long, help: "Dev and test questions (sets both).")
    var evaluationQuestions: Int?

    @Option(name: .long, help: "Dev questions.")
    var devQuestions: Int?

    @Option(name: .long, help: "Test questions.")
    var testQuestions: Int?

    @OptionGroup var compute: ComputeOptions

    @Option(name: .long, help: "Seed (default: 1).")
    var seed: UInt64?

    @Option(name: .long, help: "Salt of the train/dev/test partition of problem structures (\"\": the split the defaults were tuned on).")
    var partitionSalt: String?

    @Flag(name: .long, help: "Evaluate the dev split only (tuning runs: the test split is never evaluated).")
    var devOnly = false

    @Option(name: .long, help: "Learning rate of the DPO baseline (default 1e-5 for both models, chosen on dev).")
    var dpoLr: Double?

    @Option(name: .long, help: "beta of the DPO baseline (default tiny 0.5, smollm2 0.1, chosen on dev).")
    var dpoBeta: Double?

    @Option(name: .long, help: "Learning rate of the SFT-on-chosen baseline (default tiny 3e-4, smollm2 1e-5, chosen on dev).")
    var sftChosenLr: Double?

    @Option(name: .long, help: "With --model smollm2: learning rate of the SFT-on-gold baseline (default 1e-5, chosen on dev).")
    var sftGoldLr: Double?

    @Option(name: .long, help: "With --model smollm2: RPO learning rate of iterations 2 and later (default: gold 5e-6, self 1e-5, chosen on dev; --lr sets iteration 1).")
    var laterLr: Double?

    /// The settings with every given flag applied; throws naming the flag at fault.
    func settings() throws -> DemoSettings {
        var settings = DemoSettings()
        if let iterations { settings.iterations = iterations }
        settings.threads = compute.threads
        if let seed { settings.seed = seed }
        typealias L = PipelineLimits
        let counts: [(String, Int?, Int)] = [
            ("--iterations", iterations, L.maxIterations), ("--hidden-size", hiddenSize, CommandLimits.maxDemoHiddenSize),
            ("--layers", layers, CommandLimits.maxDemoLayers), ("--heads", heads, CommandLimits.maxDemoHeads),
            ("--intermediate-size", intermediateSize, CommandLimits.maxDemoIntermediateSize), ("--sft-examples", sftExamples, L.maxQuestions),
            ("--sft-steps", sftSteps, L.maxSteps), ("--questions", questions, L.maxQuestions), ("--samples", samples, L.maxSamplesPerQuestion),
            ("--pairs", pairs, L.maxPairsPerQuestion), ("--batch-size", batchSize, L.maxTrainingBatchSize), ("--epochs", epochs, L.maxEpochs),
            ("--evaluation-questions", evaluationQuestions, L.maxQuestions), ("--dev-questions", devQuestions, L.maxQuestions),
            ("--test-questions", testQuestions, L.maxQuestions),
            ("--selection-every", selectionEvery, L.maxSteps),
        ]
        for (name, value, bound) in counts { try CommandLimits.check(name, value, 1...bound) }
        try CommandLimits.check("--selection-questions", selectionQuestions, 0...L.maxQuestions)
        let positives: [(String, Double?)] = [("--sft-lr", sftLr), ("--temperature", temperature), ("--lr", lr), ("--beta", beta),
                                              ("--dpo-lr", dpoLr), ("--dpo-beta", dpoBeta), ("--sft-chosen-lr", sftChosenLr),
                                              ("--sft-gold-lr", sftGoldLr), ("--later-lr", laterLr)]
        for (name, value) in positives {
            if let value, !(value.isFinite && value > 0) { throw ValidationError("\(name) must be a number > 0, got \(value)") }
        }
        if let sftRareProbability, !(0...1).contains(sftRareProbability) {
            throw ValidationError("--sft-rare-probability must be a probability in 0...1, got \(sftRareProbability)")
        }
        if let alpha, !(alpha.isFinite && alpha >= 0) { throw ValidationError("--alpha must be a number >= 0, got \(alpha)") }
        if let hiddenSize { settings.hiddenSize = hiddenSize }
        if let layers { settings.layers = layers }
        if let heads { settings.heads = heads }
        if let intermediateSize { settings.intermediateSize = intermediateSize }
        guard settings.hiddenSize % settings.heads == 0 else {
            throw ValidationError("--hidden-size \(settings.hiddenSize) must be a multiple of --heads \(settings.heads)")
        }
        // Each dimension is bounded above, so this estimate cannot overflow.
        let h = settings.hiddenSize, i = settings.intermediateSize
        let parameters = settings.layers * (4 * h * h + 3 * h * i)
        guard parameters <= CommandLimits.maxDemoParameters else {
            throw ValidationError("--hidden-size \(h), --intermediate-size \(i) and --layers \(settings.layers) make a model of about \(parameters) parameters, over the demo's limit of \(CommandLimits.maxDemoParameters); use smaller sizes")
        }
        if let sftExamples { settings.sftExamples = sftExamples }
        if let sftSteps { settings.sftSteps = sftSteps }
        if let sftRareProbability { settings.sftRarePhrasingProbability = sftRareProbability }
        if let sftLr { settings.sftLearningRate = sftLr }
        if let questions { settings.questionsPerIteration = questions }
        if let samples { settings.samplesPerQuestion = samples }
        if let temperature { settings.temperature = temperature }
        if let pairs { settings.pairsPerQuestion = pairs }
        if let lr { settings.rpoLearningRate = lr }
        if let batchSize { settings.rpoBatchSize = batchSize }
        if let epochs { settings.rpoEpochs = epochs }
        if let alpha { settings.alpha = alpha }
        if let beta { settings.beta = beta }
        if let nll { settings.nllNormalization = nll }
        if let selectionQuestions {
            guard selectionQuestions >= 0 else { throw ValidationError("--selection-questions must be >= 0, got \(selectionQuestions)") }
            settings.selectionQuestions = selectionQuestions
        }
        if let selectionEvery { settings.selectionEvery = selectionEvery }
        if let evaluationQuestions {
            settings.devQuestions = evaluationQuestions
            settings.testQuestions = evaluationQuestions
        }
        if let devQuestions { settings.devQuestions = devQuestions }
        if let testQuestions { settings.testQuestions = testQuestions }
        if let partitionSalt {
            guard partitionSalt.utf8.count <= 256 else { throw ValidationError("--partition-salt must be at most 256 bytes") }
            settings.partitionSalt = partitionSalt
        }
        settings.devOnly = devOnly
        if let dpoLr { settings.dpoLearningRate = dpoLr }
        if let dpoBeta { settings.dpoBeta = dpoBeta }
        if let sftChosenLr { settings.sftChosenLearningRate = sftChosenLr }
        return settings
    }

    func run() throws {
        switch model {
        case "tiny":
            if sftGoldLr != nil { throw ValidationError("--sft-gold-lr applies to --model smollm2 only (the tiny demo has no SFT-on-gold baseline)") }
            if laterLr != nil { throw ValidationError("--later-lr applies to --model smollm2 only (the tiny demo uses --lr in every iteration)") }
        case "smollm2": return try runSmolLM2()
        default: throw ValidationError("--model must be tiny or smollm2, got \"\(model)\"")
        }
        let output = self.output ?? "runs/demo"
        let settings = try settings()
        let printer = ProgressPrinter()
        let start = Date()
        compute.context().apply()
        do {
            let folder = URL(fileURLWithPath: output)
            var demo = Demo(settings: settings, log: { printer.line($0) }, progress: { printer.update($0, $1, $2) })
            if skipBaselines { demo.baselines = [.zeroShot, .rpo] }
            try demo.run(output: folder)
            let report = try RunReport(directory: Demo.runFolder(output: folder))
            print("")
            print(report.markdown())
            print(String(format: "total %.0f s; report: %@", Date().timeIntervalSince(start),
                         Demo.runFolder(output: folder).appendingPathComponent("report.md").path))
        } catch let error as PipelineError {
            throw ValidationError(error.message)
        }
    }
}
