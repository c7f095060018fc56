import Foundation

extension IterativeRun {
    /// The stages two runs share when their configs differ only in what comes after iteration 1's
    /// scores (how pairs are built, how the model is trained) and in their names: the evaluation
    /// data, M0's evaluation and iteration 1's questions, samples and scores are the same
    /// computation for both.
    static let sharedStartStages = ["data", "iter-0/eval", "iter-1/sample", "iter-1/score"]

    /// Makes this run start from `source`'s evaluation data, M0 evaluation and iteration-1 samples
    /// (copied, not recomputed) when `source` has finished them and its config differs from this
    /// run's only in the keys `sameStart` ignores; the two variants of the real-model demo then
    /// start from the very same samples, and the second one skips the two slowest stages of its
    /// start (evaluating and sampling the seed model, which answers at length).
    /// - Returns: whether anything was adopted (false when this run already did those stages, or
    ///   `source` has not finished them, or its config differs in anything else).
    /// - Throws: `PipelineError` when a file cannot be read or copied.
    @discardableResult
    func adoptSharedStart(from source: RunDirectory) throws -> Bool {
        let stages = Self.sharedStartStages.filter { $0 != "iter-0/eval" || config.evaluation.evaluateSeedModel }
        guard !stages.contains(where: state.isDone) else { return false }
        let manager = FileManager.default
        guard manager.fileExists(atPath: source.stateURL.path), manager.fileExists(atPath: source.configURL.path) else { return false }
        let sourceState = try source.loadState()
        guard stages.allSatisfy(sourceState.isDone) else { return false }
        guard try Self.sameStart(try Data(contentsOf: source.configURL), try Data(contentsOf: directory.configURL)) else {
            log("\(source.root.path) was run with other settings; sampling M0 here")
            return false
        }
        try Self.copyFromRun(source.root.appendingPathComponent("data"), directory.root.appendingPathComponent("data"))
        if stages.contains("iter-0/eval") {
            try Self.copyFromRun(source.iteration(0), directory.iteration(0))
        }
        for name in ["questions.jsonl", "samples.jsonl", "scored.jsonl"] {
            try Self.copyFromRun(source.file(name, iteration: 1), directory.file(name, iteration: 1))
        }
        for name in stages { state.markDone(name) }
        try directory.save(state)
        let line = "\(stages.joined(separator: ", ")): reused from \(source.root.path) (same seed model, data and samples)"
        log(line)
        appendLog(line)
        return true
    }

    /// Copies `from` (a file or folder of another run) over `to`; does nothing when `from` does not exist.
    /// - Throws: `PipelineError` naming both paths when the copy fails.
    static func copyFromRun(_ from: URL, _ to: URL) throws {
        let manager = FileManager.default
        guard manager.fileExists(atPath: from.path) else { return }
        do {
            try manager.createDirectory(at: to.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? manager.removeItem(at: to)
            try manager.copyItem(at: from, to: to)
        } catch {
            throw PipelineError("cannot copy \(from.path) to \(to.path) (\(error.localizedDescription)); check free disk space")
        }
    }

    /// Whether two resolved configs (`config.json` contents) describe the same run up to
    /// iteration 1's scores: equal after removing `name`, `pairs`, `baselines`, `output` and every
    /// `training` key except `selection_questions` (which decides the held-out questions in `data/`).
    static func sameStart(_ first: Data, _ second: Data) throws -> Bool {
        func normalised(_ data: Data) throws -> NSDictionary? {
            guard var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
            for key in ["name", "pairs", "baselines", "output"] { object[key] = nil }
            if let training = object["training"] as? [String: Any] {
                object["training"] = ["selection_questions": training["selection_questions"] ?? NSNull()]
            }
            return object as NSDictionary
        }
        do {
            guard let a = try normalised(first), let b = try normalised(second) else { return false }
            return a.isEqual(b)
        } catch {
            return false
        }
    }
}
