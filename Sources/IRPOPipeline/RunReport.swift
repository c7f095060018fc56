import Foundation
import IRPOFormats
import IRPOTasks
import IRPOTraining

/// The report of a run directory: `report.md` (accuracy table, pair counts, extraction failures,
/// error breakdown) and SVG charts `accuracy.svg`, `loss.svg`, `logps.svg`. Built from files
/// only, so `irpo report RUN_DIR` works on any finished or partial run.
public struct RunReport {
    public let directory: RunDirectory
    /// eval.json of every evaluated model, by iteration.
    public let evaluations: [IterationEvaluation]
    /// pair_stats.json by iteration.
    public let pairStatistics: [Int: PairStatistics]
    /// metrics.jsonl by iteration.
    public let metrics: [Int: [StepMetrics]]
    /// train/selection.jsonl by iteration (runs with `training.selection_questions`).
    public let selections: [Int: [SelectionRecord]]
    /// metrics.jsonl of the iteration-1 baselines in `baselines/<name>` (see `Comparison`).
    public let baselineMetrics: [Baseline: [StepMetrics]]
    /// The methods table when the run has baselines (nil otherwise).
    public let comparison: ComparisonTable?

    /// Reads what exists in `directory`.
    /// - Throws: `PipelineError` if the folder is not a run directory or a file is damaged.
    public init(directory url: URL) throws {
        directory = RunDirectory(root: url)
        guard FileManager.default.fileExists(atPath: directory.stateURL.path) else {
            throw PipelineError("\(url.path) is not a run directory (no state.json); pass the --output folder of `irpo run`")
        }
        var evaluations: [IterationEvaluation] = []
        var pairStatistics: [Int: PairStatistics] = [:]
        var metrics: [Int: [StepMetrics]] = [:]
        var selections: [Int: [SelectionRecord]] = [:]
        let decoder = JSONDecoder()
        for t in 0...1000 {
            let folder = directory.iteration(t)
            guard FileManager.default.fileExists(atPath: folder.path) else { if t > 0 { break } else { continue } }
            func read<T: Decodable>(_ type: T.Type, _ name: String) throws -> T? {
                let file = folder.appendingPathComponent(name)
                guard FileManager.default.fileExists(atPath: file.path) else { return nil }
                do { return try decoder.decode(T.self, from: Data(contentsOf: file)) } catch {
                    throw PipelineError("\(file.path) is damaged (\(error)); rerun its stage")
                }
            }
            if let evaluation = try read(IterationEvaluation.self, "eval.json") { evaluations.append(evaluation) }
            if let statistics = try read(PairStatistics.self, "pair_stats.json") { pairStatistics[t] = statistics }
            let metricsFile = folder.appendingPathComponent("train/metrics.jsonl")
            if FileManager.default.fileExists(atPath: metricsFile.path) {
                metrics[t] = try JSONLines.read(StepMetrics.self, from: metricsFile)
            }
            let selectionFile = folder.appendingPathComponent("train/selection.jsonl")
            if FileManager.default.fileExists(atPath: selectionFile.path) {
                selections[t] = try JSONLines.read(SelectionRecord.self, from: selectionFile)
            }
        }
        self.evaluations = evaluations
        self.pairStatistics = pairStatistics
        self.metrics = metrics
        self.selections = selections
        var baselineMetrics: [Baseline: [StepMetrics]] = [:]
        var hasBaselines = false
        for baseline in Baseline.allCases where baseline.isIterationOneBaseline {
            let folder = ComparisonTable.baselineFolder(run: url, baseline: baseline)
            guard FileManager.default.fileExists(atPath: folder.path) else { continue }
            hasBaselines = true
            let file = folder.appendingPathComponent("iter-1/train/metrics.jsonl")
            if FileManager.default.fileExists(atPath: file.path) {
                baselineMetrics[baseline] = try JSONLines.read(StepMetrics.self, from: file)
            }
        }
        self.baselineMetrics = baselineMetrics
        if hasBaselines { comparison = try ComparisonTable(run: url) } else { comparison = nil }
    }

    /// The iteration-1 training curves to compare: RPO's iteration 1 and each baseline's, in table order.
    var iterationOneCurves: [(title: String, rows: [StepMetrics])] {
        var curves: [(title: String, rows: [StepMetrics])] = []
        if let rows = metrics[1], !baselineMetrics.isEmpty { curves.append(("RPO iter 1", rows)) }
        for baseline in Baseline.allCases {
            if let rows = baselineMetrics[baseline] {
                curves.append((baseline == .dpo ? "DPO" : baseline == .sftChosen ? "SFT on chosen" : "SFT on gold", rows))
            }
        }
        return curves
    }

    static func percent(_ value: Double?) -> String { value.map { String(format: "%.1f", $0 * 100) } ?? "-" }

    /// The greedy correctness of iteration `t` on `split`, by question id (nil when the run did
    /// not write `iter-<t>/greedy-<split>.jsonl`).
    func greedyCorrectness(iteration t: Int, split: String) -> [String: Bool]? {
        let file = directory.file(GreedyRecord.fileName(split: split), iteration: t)
        guard FileManager.default.fileExists(atPath: file.path),
              let rows = try? JSONLines.read(GreedyRecord.self, from: file) else { return nil }
        return Dictionary(rows.map { ($0.id, $0.outcome == .correct) }, uniquingKeysWith: { first, _ in first })
    }

    /// The problem structure of each question of `split` (`metadata.signature` in
    /// `data/<split>.jsonl`, which the synthetic task writes), by question id; nil when the file is
    /// missing or unreadable.
    func problemStructures(split: String) -> [String: String]? {
        let file = directory.dataURL(split: split)
        guard FileManager.default.fileExists(atPath: file.path),
              let items = try? JSONLines.read(TaskItem.self, from: file) else { return nil }
        return Dictionary(items.compactMap { item in item.metadata["signature"].map { (item.id, $0) } },
                          uniquingKeysWith: { first, _ in first })
    }

    /// The change in greedy accuracy on a split from one model to another.
    public struct Improvement: Sendable, Equatable {
        /// The iterations compared.
        public var from: Int
        public var to: Int
        /// The paired bootstrap 95% interval over the questions.
        public var interval: PairedBootstrap
        /// The interval that resamples whole problem structures, when the split's questions share
        /// them (the synthetic task asks each structure many times, so its questions are not
        /// independent draws).
        public var byStructure: PairedBootstrap?

        /// "+12.3 points (... interval ...)", then "; by problem structure: ..." when there is one.
        public var intervals: String {
            guard let byStructure else { return interval.description }
            return "\(interval.description); by problem structure: \(byStructure.description)"
        }
    }

    /// The change in greedy accuracy on `split` from the first evaluated model to the last; nil
    /// without both models' greedy records.
    public func improvement(split: String) -> Improvement? {
        let evaluated = evaluations.filter { $0.splits.contains { $0.split == split } }.map(\.iteration)
        guard let first = evaluated.first, let last = evaluated.last, last > first,
              let before = greedyCorrectness(iteration: first, split: split),
              let after = greedyCorrectness(iteration: last, split: split) else { return nil }
        let ids = before.keys.filter { after[$0] != nil }.sorted()
        let was = ids.map { before[$0]! }, now = ids.map { after[$0]! }
        guard let interval = PairedBootstrap(before: was, after: now) else { return nil }
        var byStructure: PairedBootstrap?
        if let structures = problemStructures(split: split) {
            let keys = ids.compactMap { structures[$0] }
            if keys.count == ids.count, Set(keys).count < ids.count {
                byStructure = PairedBootstrap(before: was, after: now, groups: keys)
            }
        }
        return Improvement(from: first, to: last, interval: interval, byStructure: byStructure)
    }

    /// The Markdown summary.
    public func markdown() -> String {
        var lines = ["# irpo run report", "", "Run directory: `\(directory.root.path)`", ""]
        let splits = evaluations.flatMap { $0.splits.map(\.split) }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        for split in splits {
            lines += ["## Accuracy on \(split) (%)", "", "| model | greedy | maj@k | no answer (greedy) | no answer (maj@k samples) |", "|---|---|---|---|---|"]
            for evaluation in evaluations {
                guard let s = evaluation.splits.first(where: { $0.split == split }) else { continue }
                let voted = s.majorityQuestions.map { $0 < s.questions ? ", first \($0) questions" : "" } ?? ""
                let k = s.majorityK > 0 ? " (k=\(s.majorityK)\(voted))" : ""
                lines.append("| M\(evaluation.iteration) | \(Self.percent(s.greedyAccuracy)) | \(Self.percent(s.majorityAccuracy))\(k) | \(Self.percent(s.greedyExtractionFailureRate)) | \(Self.percent(s.majorityExtractionFailureRate)) |")
            }
            lines.append("")
            if let change = improvement(split: split) {
                lines += ["Greedy M\(change.to) - M\(change.from) on \(split): \(change.intervals).", ""]
            }
            let kinds = evaluations.compactMap { $0.splits.first { $0.split == split }?.greedyDiagnosis }.flatMap(\.keys)
            let uniqueKinds = Array(Set(kinds)).sorted()
            if !uniqueKinds.isEmpty {
                lines += ["### Greedy completions by kind (\(split))", "", "| model | " + uniqueKinds.joined(separator: " | ") + " |",
                          "|---|" + uniqueKinds.map { _ in "---|" }.joined()]
                for evaluation in evaluations {
                    guard let diagnosis = evaluation.splits.first(where: { $0.split == split })?.greedyDiagnosis else { continue }
                    lines.append("| M\(evaluation.iteration) | " + uniqueKinds.map { String(diagnosis[$0] ?? 0) }.joined(separator: " | ") + " |")
                }
                lines.append("")
            }
        }
        if !pairStatistics.isEmpty {
            lines += ["## Pairs per iteration", "", "| iteration | questions | with pairs | no loser | no winner | too long | capped | pairs | sample accuracy |",
                      "|---|---|---|---|---|---|---|---|---|"]
            for t in pairStatistics.keys.sorted() {
                let s = pairStatistics[t]!
                lines.append("| \(t) | \(s.questions) | \(s.questionsWithPairs) | \(s.skippedNoLoser) | \(s.skippedNoWinner) | \(s.droppedTooLong) | \(s.droppedByCap) | \(s.pairs) | \(Self.percent(s.sampleAccuracy)) |")
            }
            lines.append("")
        }
        if !metrics.isEmpty {
            lines += ["## Training", "", Self.windowNote, "",
                      "| iteration | steps | first loss | last loss | logps/chosen first -> last | logps/rejected first -> last | rewards/chosen, last | rewards/rejected, last |",
                      "|---|---|---|---|---|---|---|---|"]
            for t in metrics.keys.sorted() {
                guard let rows = metrics[t], let window = TrainingWindow(rows) else { continue }
                let rewards = window.lastRewards
                lines.append(String(format: "| %d | %d | %.4f | %.4f | %@ | %@ | %@ | %@ |", t, rows.count, window.first.loss, window.last.loss,
                                    window.chosen, window.rejected, rewards.chosen, rewards.rejected))
            }
            lines += ["", "Charts: [accuracy](accuracy.svg), [training loss](loss.svg), [chosen/rejected log-probs](logps.svg).", ""]
        }
        if !selections.isEmpty {
            lines += ["## Checkpoint selection (greedy accuracy on held-out training questions, %)", "",
                      "| iteration | held-out questions | kept step | kept | last step | steps scored |", "|---|---|---|---|---|---|"]
            for t in selections.keys.sorted() {
                let rows = selections[t] ?? []
                guard let last = rows.last, let kept = CheckpointSelection.best(of: rows) else { continue }
                let scored = rows.map { "\($0.step): \(Self.percent($0.accuracy))" }.joined(separator: ", ")
                lines.append("| \(t) | \(last.questions) | \(kept.step) | \(Self.percent(kept.accuracy)) | \(last.step): \(Self.percent(last.accuracy)) | \(scored) |")
            }
            lines.append("")
        }
        if let comparison, !comparison.rows.isEmpty {
            lines += ["## Methods on the same data (paper's Table 1 layout, accuracy %)", "",
                      "The iteration-1 baselines train from the seed model on iteration 1's pairs (SFT on gold: the gold",
                      "solutions of the same questions); they differ from RPO iteration 1 only in the loss.", "",
                      comparison.markdown()]
        }
        let curves = iterationOneCurves
        if curves.count > 1 {
            lines += ["## Iteration 1: log-probs of chosen and rejected by loss", "", Self.windowNote, "",
                      "| method | steps | logps/chosen first -> last | logps/rejected first -> last | rewards/chosen, last | rewards/rejected, last |",
                      "|---|---|---|---|---|---|"]
            for curve in curves {
                guard let window = TrainingWindow(curve.rows) else { continue }
                let rewards = window.lastRewards
                lines.append("| \(curve.title) | \(curve.rows.count) | \(window.chosen) | \(window.rejected) | \(rewards.chosen) | \(rewards.rejected) |")
            }
            lines += ["", "Chart: [chosen/rejected log-probs, RPO vs baselines](logps-baselines.svg).", ""]
        }
        return lines.joined(separator: "\n")
    }

    static let windowNote = "First and last: means over the first and the last 10% of the steps (at least one step), "
        + "since each step's values come from a different batch of pairs. Rewards (TRL's names) are beta * (log pi - log pi_ref) "
        + "on a batch before the model trains on it: above zero, the policy gives such completions more probability than M_{t-1} did."

    /// The x axis of the per-step charts.
    static let stepAxisLabel = "training step (one batch of pairs)"
    /// The y axis of the log-probability charts.
    static let logProbAxisLabel = "summed log-prob of the completion (nats)"

    /// The charts by file name.
    public func charts() -> [String: String] {
        var charts: [String: String] = [:]
        var accuracy: [SVGLineChart.Series] = []
        let splits = Array(Set(evaluations.flatMap { $0.splits.map(\.split) })).sorted()
        for (splitIndex, split) in splits.enumerated() {
            let greedy = evaluations.compactMap { e in e.splits.first { $0.split == split }?.greedyAccuracy.map { (x: Double(e.iteration), y: $0 * 100) } }
            let majority = evaluations.compactMap { e in e.splits.first { $0.split == split }?.majorityAccuracy.map { (x: Double(e.iteration), y: $0 * 100) } }
            if !greedy.isEmpty { accuracy.append(.init(name: "\(split) greedy", points: greedy, colorIndex: splitIndex)) }
            if !majority.isEmpty { accuracy.append(.init(name: "\(split) maj@k", points: majority, dashed: true, colorIndex: splitIndex)) }
        }
        charts["accuracy.svg"] = SVGLineChart(title: "Accuracy per iteration", xLabel: "iteration (0 = seed model M0)", yLabel: "accuracy (%)", series: accuracy).render()
        var loss: [SVGLineChart.Series] = []
        var logps: [SVGLineChart.Series] = []
        for (index, t) in metrics.keys.sorted().enumerated() {
            let rows = metrics[t] ?? []
            loss.append(.init(name: "iteration \(t)", points: rows.map { (x: Double($0.step), y: $0.loss) }))
            logps.append(.init(name: "iter \(t) chosen", points: rows.map { (x: Double($0.step), y: $0.logpsChosen) }, colorIndex: index))
            let rejected = rows.compactMap { row in row.logpsRejected.map { (x: Double(row.step), y: $0) } }
            if !rejected.isEmpty { logps.append(.init(name: "iter \(t) rejected", points: rejected, dashed: true, colorIndex: index)) }
        }
        charts["loss.svg"] = SVGLineChart(title: "Training loss", xLabel: Self.stepAxisLabel, yLabel: "loss (nats)", series: loss).render()
        charts["logps.svg"] = SVGLineChart(title: "Log-probabilities of chosen and rejected (policy, per step)", xLabel: Self.stepAxisLabel,
                                           yLabel: Self.logProbAxisLabel, series: logps).render()
        let curves = iterationOneCurves
        if curves.count > 1 {
            var series: [SVGLineChart.Series] = []
            for (index, curve) in curves.enumerated() {
                series.append(.init(name: "\(curve.title) chosen", points: curve.rows.map { (x: Double($0.step), y: $0.logpsChosen) },
                                    colorIndex: index))
                let rejected = curve.rows.compactMap { row in row.logpsRejected.map { (x: Double(row.step), y: $0) } }
                if !rejected.isEmpty { series.append(.init(name: "\(curve.title) rejected", points: rejected, dashed: true, colorIndex: index)) }
            }
            charts["logps-baselines.svg"] = SVGLineChart(title: "Iteration 1: log-probs of chosen and rejected, RPO vs baselines",
                                                         xLabel: Self.stepAxisLabel, yLabel: Self.logProbAxisLabel, series: series).render()
        }
        return charts
    }

    /// Writes report.md and the charts into the run directory.
    public func write() throws {
        try AtomicFileWriter.write(markdown(), to: directory.root.appendingPathComponent("report.md"))
        for (name, svg) in charts() { try AtomicFileWriter.write(svg, to: directory.root.appendingPathComponent(name)) }
    }
}
