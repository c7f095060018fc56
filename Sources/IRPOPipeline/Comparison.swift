import Foundation
import IRPOBackends
import IRPOFormats

/// `irpo compare`: the paper's baselines from the same seed model on the same data budget. The
/// RPO run lives in `directory`; each iteration-1 baseline (SFT on gold, SFT on chosen, DPO with
/// alpha = 0) is a one-iteration run in `directory/baselines/<name>` that reuses the RPO run's
/// iteration-1 questions, samples, pairs and reference log-probs (copied, never re-sampled), so
/// the methods differ only in the loss. Zero-shot CoT is the RPO run's evaluation of M0.
public struct Comparison {
    /// The RPO config (its `training.loss` is set to rpo for the RPO run; the seed model is evaluated).
    public var config: RunConfig
    public var baselines: [Baseline]
    public var directory: URL
    public var log: (String) -> Void
    public var progress: (String, Int, Int) -> Void
    /// Called at every interruption point of every run (see `IterativeRun.interruption`).
    public var interruption: (RunInterruptionPoint) throws -> Void = { _ in }
    /// Makes the sampling/evaluation backend (nil: each run's default).
    public var makeBackend: ((URL) throws -> any InferenceBackend)?
    /// Another RPO run whose evaluation data, M0 evaluation and iteration-1 samples the RPO run
    /// reuses when that run has finished them with the same settings except `name` and
    /// `pairs.gold_as_winner` (the two variants of the real-model demo); nil: compute everything.
    public var sharedStart: URL?

    /// Prepares a comparison; nothing runs until `run()`.
    public init(config: RunConfig, baselines: [Baseline] = Baseline.allCases, directory: URL,
                log: @escaping (String) -> Void = { _ in }, progress: @escaping (String, Int, Int) -> Void = { _, _, _ in }) {
        self.config = config
        self.baselines = baselines
        self.directory = directory
        self.log = log
        self.progress = progress
    }

    /// The config of the RPO run.
    public var rpoConfig: RunConfig {
        var rpo = config
        rpo.training.loss = .rpo
        rpo.evaluation.evaluateSeedModel = true
        // The baselines' settings do not change the RPO run (a comparison can be resumed with others).
        rpo.baselines = BaselineSettings()
        return rpo
    }

    /// The config of a one-iteration baseline: the RPO config with another loss and the baseline's
    /// own settings from `baselines` (learning rate, beta, epochs) where given.
    public func baselineConfig(_ baseline: Baseline) -> RunConfig {
        let own = config.baselines.method(baseline)
        var result = rpoConfig
        result.name = "\(config.name)-\(baseline.rawValue)"
        result.iterations = 1
        result.evaluation.evaluateSeedModel = false
        switch baseline {
        case .dpo:
            result.training.loss = .dpo
            result.training.alpha = 0
        case .sftGold, .sftChosen:
            result.training.loss = .sft
        case .zeroShot, .rpo:
            break
        }
        // A baseline is one iteration at its own rate and epochs, or at the RPO run's of iteration 1.
        result.training.trainer.learningRate = rpoConfig.learningRate(iteration: 1)
        result.training.iterationLearningRates = nil
        result.training.trainer.epochs = rpoConfig.epochs(iteration: 1)
        result.training.iterationEpochs = nil
        if let rate = own.learningRate { result.training.trainer.learningRate = rate }
        if let beta = own.beta { result.training.beta = beta }
        if let epochs = own.epochs { result.training.trainer.epochs = epochs }
        return result
    }

    /// Runs (or resumes) every method, writes `comparison.md` and the report, and returns the table.
    /// - Parameter resume: continue runs that exist in `directory`.
    @discardableResult
    public func run(resume: Bool) throws -> ComparisonTable {
        let rpo = try IterativeRun(config: rpoConfig, directory: directory, resume: resume, log: log, progress: progress)
        rpo.interruption = interruption
        if let makeBackend { rpo.makeBackend = makeBackend }
        if let sharedStart { try rpo.adoptSharedStart(from: RunDirectory(root: sharedStart)) }
        let needsIterationOne = baselines.contains { $0.isIterationOneBaseline }
        if baselines.contains(.rpo) {
            try rpo.run()
        } else if needsIterationOne {
            try rpo.runStages(through: "iter-1/refcache")
        } else {
            try rpo.runStages(through: "iter-0/eval")
        }
        for baseline in baselines where baseline.isIterationOneBaseline {
            let folder = ComparisonTable.baselineFolder(run: directory, baseline: baseline)
            let resumeBaseline = FileManager.default.fileExists(atPath: RunDirectory(root: folder).stateURL.path)
            let run = try IterativeRun(config: baselineConfig(baseline), directory: folder, resume: resumeBaseline,
                                       log: { log("[\(baseline.rawValue)] \($0)") }, progress: progress)
            run.interruption = interruption
            if let makeBackend { run.makeBackend = makeBackend }
            try run.adoptIterationOne(from: rpo.directory, baseline: baseline)
            try run.run()
        }
        let table = try ComparisonTable(run: directory, baselines: baselines)
        try AtomicFileWriter.write("# Comparison (accuracy, %)\n\n" + table.markdown(), to: directory.appendingPathComponent("comparison.md"))
        try RunReport(directory: directory).write()
        log("comparison: \(directory.appendingPathComponent("comparison.md").path)")
        return table
    }
}
