import Foundation

/// The targets of the real-model demo, checked from the files of its run folders (never from
/// numbers held in memory), so that `irpo demo --model smollm2` ends with an honest account of
/// which claims the run supports:
///
/// 1. greedy test accuracy of the gold variant's last model at least 10 points above M0's, with the
///    paired bootstrap 95% interval above 0 (the interval that resamples whole problem structures
///    when the test questions share them);
/// 2. greedy dev accuracy rising at every iteration (each variant);
/// 3. RPO's iteration 1 above SFT on chosen and above DPO on test (greedy);
/// 4. the self-improvement variant's last model above M0 on test (greedy).
public struct RealModelTargets: Sendable, Equatable {
    /// One target and what the run shows about it.
    public struct Check: Sendable, Equatable {
        /// What is claimed.
        public var target: String
        /// What the files show (numbers in points).
        public var result: String
        /// true/false, or nil when the run did not measure it (no test split, a variant not run).
        public var met: Bool?
    }

    public var checks: [Check]

    /// Checks every target from `gold` and `selfGenerated` (the two variants' run folders; nil or a
    /// folder without a run: not measured).
    /// - Throws: `PipelineError` for a damaged eval.json or state.json.
    public init(gold: URL?, selfGenerated: URL?) throws {
        func report(_ url: URL?) throws -> RunReport? {
            guard let url, FileManager.default.fileExists(atPath: RunDirectory(root: url).stateURL.path) else { return nil }
            return try RunReport(directory: url)
        }
        let goldReport = try report(gold), selfReport = try report(selfGenerated)
        var checks: [Check] = []

        let gain = "greedy test accuracy of the gold variant's last model >= M0 + 10 points, 95% interval above 0"
        if let change = goldReport?.improvement(split: "test") {
            // When the questions share problem structures, the interval that resamples whole
            // structures is the one that must exclude 0 (the per-question one is too narrow).
            let interval = change.byStructure ?? change.interval
            checks.append(Check(target: gain, result: "M\(change.to) - M\(change.from): \(change.intervals)",
                                met: interval.difference >= 0.10 - 1e-9 && interval.low > 0))
        } else {
            checks.append(Check(target: gain, result: "not measured (no test evaluation of M0 and a trained model)", met: nil))
        }

        for (name, run) in [("gold", goldReport), ("self", selfReport)] {
            let target = "greedy dev accuracy rising at every iteration (\(name) variant)"
            let dev = (run?.evaluations ?? []).compactMap { e in e.splits.first { $0.split == "dev" }?.greedyAccuracy.map { (e.iteration, $0) } }
            guard dev.count >= 2 else {
                checks.append(Check(target: target, result: "not measured (fewer than two evaluated models)", met: nil))
                continue
            }
            let rising = zip(dev, dev.dropFirst()).allSatisfy { $1.1 > $0.1 }
            checks.append(Check(target: target, result: dev.map { "M\($0.0) \(Self.percent($0.1))" }.joined(separator: " -> "), met: rising))
        }

        let methods = "RPO iteration 1 above SFT on chosen and above DPO (greedy test)"
        if let table = goldReport?.comparison {
            func test(_ baseline: Baseline, iteration: Int? = nil) -> Double? {
                table.rows.first { $0.baseline == baseline && $0.iteration == iteration }?.accuracy(split: "test").greedy
            }
            if let rpo = test(.rpo, iteration: 1), let chosen = test(.sftChosen), let dpo = test(.dpo) {
                checks.append(Check(target: methods, result: "RPO \(Self.percent(rpo)), SFT on chosen \(Self.percent(chosen)), DPO \(Self.percent(dpo))",
                                    met: rpo > chosen && rpo > dpo))
            } else {
                checks.append(Check(target: methods, result: "not measured (a method lacks a test evaluation)", met: nil))
            }
        } else {
            checks.append(Check(target: methods, result: "not measured (baselines not run)", met: nil))
        }

        let selfTarget = "self-improvement variant's last model above M0 (greedy test)"
        if let change = selfReport?.improvement(split: "test") {
            checks.append(Check(target: selfTarget, result: "M\(change.to) - M\(change.from): \(change.intervals)",
                                met: change.interval.difference > 0))
        } else {
            checks.append(Check(target: selfTarget, result: "not measured (no test evaluation of the self variant)", met: nil))
        }
        self.checks = checks
    }

    static func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }

    /// The checks as a Markdown table.
    public func markdown() -> String {
        var lines = ["| target | result | met |", "|---|---|---|"]
        for check in checks {
            let met = check.met.map { $0 ? "yes" : "**no**" } ?? "not measured"
            lines.append("| \(check.target) | \(check.result) | \(met) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
