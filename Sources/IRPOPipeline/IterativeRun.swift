import Foundation
import IRPOBackends
import IRPOFormats
import IRPOGeneration
import IRPOTasks
import IRPOTensor
import IRPOTraining

/// The Iterative RPO loop (Pang et al. 2024) driven by a `RunConfig`: for t = 1...T, sample, score, pair, refcache,
/// train, (with `output.gguf`) export, eval, each stage reading files and writing its outputs atomically, with completion
/// recorded in `state.json` so that `resume` skips finished stages.
public final class IterativeRun {
    /// The configuration.
    public let config: RunConfig
    /// The run directory.
    public let directory: RunDirectory
    /// One line per stage, progress updates (the CLI prints them).
    public let log: (String) -> Void
    /// Progress of long stages: (what, done, total).
    public let progress: (String, Int, Int) -> Void
    /// Makes the backend that samples from a model folder (the local engine by default).
    public var makeBackend: (URL) throws -> any InferenceBackend
    /// Called at every point where the run can stop and resume losslessly (after each sampled
    /// question, stage and training step); throwing there stops the run (tests inject
    /// interruptions this way). A `RunCancellation` request also stops the run at these points.
    public var interruption: (RunInterruptionPoint) throws -> Void = { _ in }

    let kind: TaskKind
    let reward: any RewardFunction
    let prompt: PromptFormatter
    let syntheticTask: SyntheticArithmeticTask?
    var state: RunState

    /// Prepares a run in `directory`.
    /// - Parameter resume: continue a run whose `state.json` exists; without it an existing run is an error.
    /// - Throws: `PipelineError` when the directory holds another run, or the config differs on resume.
    public init(config: RunConfig, directory: URL, resume: Bool,
                log: @escaping (String) -> Void = { _ in }, progress: @escaping (String, Int, Int) -> Void = { _, _, _ in }) throws {
        try config.validate()
        self.config = config
        self.directory = RunDirectory(root: directory)
        self.log = log
        self.progress = progress
        self.makeBackend = try config.backendFactory()
        kind = config.taskKind
        reward = try RewardRegistry.standard.reward(named: config.task.reward ?? kind.defaultRewardName)
        prompt = try config.promptFormatter(modelFolder: config.seedModel)
        syntheticTask = try config.syntheticTask()
        let manager = FileManager.default
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let resolved = try encoder.encode(config)
        if manager.fileExists(atPath: self.directory.stateURL.path) || manager.fileExists(atPath: self.directory.configURL.path) {
            guard resume else {
                throw PipelineError("\(directory.path) already holds a run; pass --resume to continue it or --output to start a new one elsewhere")
            }
            if let saved = try? Data(contentsOf: self.directory.configURL), saved != resolved {
                // Same settings written differently (another key order or number format) still resume.
                let savedConfig = try? RunConfig(json: saved, file: self.directory.configURL.path)
                guard savedConfig == config else {
                    throw PipelineError("the config differs from the one \(directory.path) was started with (\(self.directory.configURL.path)); resume with the same config (that file is one), or start a new run with --output")
                }
            }
        }
        try manager.createDirectory(at: directory, withIntermediateDirectories: true)
        if resume {
            // A run killed mid-write leaves hidden temporary files and folders beside its outputs.
            let cleaned = try InterruptedWrites.clean(directory)
            if !cleaned.isEmpty {
                log("resume: removed \(cleaned.count) leftover(s) of an interrupted write: \(cleaned.prefix(5).joined(separator: ", "))"
                    + (cleaned.count > 5 ? ", ..." : ""))
            }
        }
        try AtomicFileWriter.write(resolved, to: self.directory.configURL)
        state = try self.directory.loadState()
    }

    /// The model M_t: the seed model for t = 0, else `iter-<t>/model`.
    public func modelFolder(iteration t: Int) -> URL {
        t == 0 ? URL(fileURLWithPath: config.seedModel) : directory.file("model", iteration: t)
    }

    /// Runs every unfinished stage, then writes the report.
    /// - Returns: the evaluation of every model evaluated (M0 first when enabled).
    @discardableResult
    public func run() throws -> [IterationEvaluation] {
        try runStages(through: nil)
        let report = try RunReport(directory: directory.root)
        try report.write()
        log("report: \(directory.root.appendingPathComponent("report.md").path)")
        return report.evaluations
    }

    /// The stages of the run in order, by name ("data", "iter-0/eval", "iter-1/sample", ...).
    var stagePlan: [(name: String, body: () throws -> String)] {
        var plan: [(name: String, body: () throws -> String)] = [("data", { try self.prepareData() })]
        if config.evaluation.evaluateSeedModel { plan.append(("iter-0/eval", { try self.evaluate(iteration: 0) })) }
        for t in 1...config.iterations {
            plan.append(("iter-\(t)/sample", { try self.sample(iteration: t) }))
            plan.append(("iter-\(t)/score", { try self.score(iteration: t) }))
            plan.append(("iter-\(t)/pair", { try self.pair(iteration: t) }))
            plan.append(("iter-\(t)/refcache", { try self.referenceLogProbs(iteration: t) }))
            plan.append(("iter-\(t)/train", { try self.train(iteration: t) }))
            if !config.output.ggufPolicies.isEmpty {
                plan.append(("iter-\(t)/export", { try self.exportGGUF(iteration: t) }))
            }
            plan.append(("iter-\(t)/eval", { try self.evaluate(iteration: t) }))
        }
        return plan
    }

    /// Runs every unfinished stage in order up to and including `last` (nil: all), without the report.
    /// - Throws: `PipelineError` when `last` is not a stage of this run, and any stage's error.
    public func runStages(through last: String?) throws {
        let plan = stagePlan
        if let last, !plan.contains(where: { $0.name == last }) {
            throw PipelineError("\(last) is not a stage of this run (stages: \(plan.map(\.name).joined(separator: ", ")))")
        }
        for (name, body) in plan {
            try stage(name, body)
            if name == last { return }
        }
    }

    /// Calls `interruption` and honours a `RunCancellation` request.
    func interruptionPoint(_ point: RunInterruptionPoint) throws {
        try interruption(point)
        if RunCancellation.isRequested { throw RunCancellation.error }
    }

    /// Runs `body` unless `name` is recorded as done, then records it.
    func stage(_ name: String, _ body: () throws -> String) throws {
        if state.isDone(name) {
            log("\(name): done earlier, skipped")
            return
        }
        let start = Date()
        let summary = try body()
        state.markDone(name)
        try directory.save(state)
        let line = "\(name): \(summary) (\(String(format: "%.1f", Date().timeIntervalSince(start))) s)"
        log(line)
        appendLog(line)
        try interruptionPoint(.stageFinished(name))
    }

    func appendLog(_ line: String) {
        let url = directory.logURL
        if !FileManager.default.fileExists(atPath: url.path) { FileManager.default.createFile(atPath: url.path, contents: nil) }
        guard let handle = try? FileHandle(forWritingTo: url) else { return }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: Data((line + "\n").utf8))
    }
}
