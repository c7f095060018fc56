import Foundation

/// The paper's Table 1 for one comparison: one row per method (zero-shot CoT, the iteration-1
/// baselines, every iteration of RPO), columns greedy test accuracy, maj@k when evaluated, and dev.
/// Built from files only (`<run>/iter-*/eval.json`, `<run>/baselines/<name>/iter-1/eval.json`).
public struct ComparisonTable: Sendable, Equatable {
    /// One method's evaluation.
    public struct Row: Sendable, Equatable {
        public var baseline: Baseline
        /// The RPO iteration (RPO rows only).
        public var iteration: Int?
        public var evaluation: IterationEvaluation
        /// The label in the table.
        public var title: String { iteration.map { "\(baseline.title) (iteration \($0))" } ?? baseline.title }
        /// Accuracy on `split` (greedy, maj@k), nil when not evaluated.
        public func accuracy(split: String) -> (greedy: Double?, majority: Double?, k: Int) {
            let s = evaluation.splits.first { $0.split == split }
            return (s?.greedyAccuracy, s?.majorityAccuracy, s?.majorityK ?? 0)
        }
    }

    public var rows: [Row]

    public init(rows: [Row]) { self.rows = rows }

    /// `<run>/baselines/<name>`: where an iteration-1 baseline of the RPO run in `run` lives.
    public static func baselineFolder(run: URL, baseline: Baseline) -> URL {
        run.appendingPathComponent("baselines").appendingPathComponent(baseline.rawValue)
    }

    /// Reads every evaluation that exists: M0 (zero-shot), each baseline, each RPO iteration.
    /// - Parameter baselines: the methods to include (nil: all found).
    /// - Throws: `PipelineError` for a damaged eval.json.
    public init(run: URL, baselines: [Baseline]? = nil) throws {
        let wanted = baselines ?? Baseline.allCases
        let directory = RunDirectory(root: run)
        func read(_ url: URL) throws -> IterationEvaluation? {
            guard FileManager.default.fileExists(atPath: url.path) else { return nil }
            do { return try JSONDecoder().decode(IterationEvaluation.self, from: Data(contentsOf: url)) } catch {
                throw PipelineError("\(url.path) is damaged (\(error)); delete it and resume to evaluate again")
            }
        }
        var rows: [Row] = []
        for baseline in Baseline.allCases where wanted.contains(baseline) {
            switch baseline {
            case .zeroShot:
                if let evaluation = try read(directory.file("eval.json", iteration: 0)) { rows.append(Row(baseline: baseline, evaluation: evaluation)) }
            case .sftGold, .sftChosen, .dpo:
                let folder = RunDirectory(root: Self.baselineFolder(run: run, baseline: baseline))
                if let evaluation = try read(folder.file("eval.json", iteration: 1)) { rows.append(Row(baseline: baseline, evaluation: evaluation)) }
            case .rpo:
                for t in 1...1000 {
                    guard let evaluation = try read(directory.file("eval.json", iteration: t)) else { break }
                    rows.append(Row(baseline: baseline, iteration: t, evaluation: evaluation))
                }
            }
        }
        self.rows = rows
    }

    static func percent(_ value: Double?) -> String { value.map { String(format: "%.1f", $0 * 100) } ?? "-" }

    /// The table in Markdown (accuracies in %).
    public func markdown() -> String {
        let splits = Set(rows.flatMap { $0.evaluation.splits.map(\.split) })
        let hasMajority = rows.contains { $0.accuracy(split: "test").majority != nil }
        let k = rows.map { $0.accuracy(split: "test").k }.max() ?? 0
        var header = ["Method", "Test greedy"]
        if hasMajority { header.append("Test maj@\(k)") }
        if splits.contains("dev") { header.append("Dev greedy") }
        var lines = ["| " + header.joined(separator: " | ") + " |", "|" + header.map { _ in "---|" }.joined()]
        for row in rows {
            let test = row.accuracy(split: "test")
            var cells = [row.title, Self.percent(test.greedy)]
            if hasMajority { cells.append(Self.percent(test.majority)) }
            if splits.contains("dev") { cells.append(Self.percent(row.accuracy(split: "dev").greedy)) }
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
