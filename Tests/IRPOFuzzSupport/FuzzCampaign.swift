import Foundation
import IRPOTensor

/// How one fuzz case ended.
public enum FuzzOutcome: Sendable {
    /// The input was accepted (parsed, loaded or answered with success).
    case accepted
    /// The input was refused with the module's own error.
    case rejected
}

/// A seeded run of fuzz cases with a time bound per case and a bound on memory growth.
///
/// The case count and seed come from `IRPO_<NAME>_FUZZ_CASES` and `IRPO_<NAME>_FUZZ_SEED` when
/// set (for large runs), else from the defaults (small, for CI). A case that traps or overflows
/// the stack ends the whole test process, which fails the run; the report's bounds are checked
/// by the test.
public struct FuzzCampaign: Sendable {
    /// The format's name, as in the environment variables (`TOKENIZER` for
    /// `IRPO_TOKENIZER_FUZZ_CASES`).
    public let name: String
    /// Number of cases.
    public let cases: Int
    /// The run's seed.
    public let seed: UInt64
    /// Bound on one case's wall time.
    public let maxCaseSeconds: Double
    /// Bound on the growth of the resident set (sampled current size, and the peak) over the run.
    public let maxResidentGrowthBytes: Int

    /// A campaign named `name` with `defaultCases` cases unless the environment asks for more.
    public init(name: String, defaultCases: Int, defaultSeed: UInt64 = 24, maxCaseSeconds: Double = 5,
                maxResidentGrowthBytes: Int = 512 << 20) {
        let environment = ProcessInfo.processInfo.environment
        self.name = name
        cases = environment["IRPO_\(name)_FUZZ_CASES"].flatMap(Int.init) ?? defaultCases
        seed = environment["IRPO_\(name)_FUZZ_SEED"].flatMap(UInt64.init) ?? defaultSeed
        self.maxCaseSeconds = maxCaseSeconds
        self.maxResidentGrowthBytes = maxResidentGrowthBytes
    }

    /// Runs every case; `body` gets the case index and its own generator.
    public func run(_ body: (Int, inout FuzzRandom) throws -> FuzzOutcome) rethrows -> FuzzReport {
        var report = FuzzReport(name: name, seed: seed)
        let start = ResourceUsage.seconds()
        for index in 0..<cases {
            var random = FuzzRandom.forCase(index, seed: seed)
            let caseStart = ResourceUsage.seconds()
            let outcome = try body(index, &random)
            report.record(outcome, index: index, seconds: ResourceUsage.seconds() - caseStart, sampleMemory: index % 64 == 0)
        }
        report.finish(seconds: ResourceUsage.seconds() - start)
        return report
    }

    /// The async form of `run(_:)`.
    public func run(_ body: (Int, inout FuzzRandom) async throws -> FuzzOutcome) async rethrows -> FuzzReport {
        var report = FuzzReport(name: name, seed: seed)
        let start = ResourceUsage.seconds()
        for index in 0..<cases {
            var random = FuzzRandom.forCase(index, seed: seed)
            let caseStart = ResourceUsage.seconds()
            let outcome = try await body(index, &random)
            report.record(outcome, index: index, seconds: ResourceUsage.seconds() - caseStart, sampleMemory: index % 64 == 0)
        }
        report.finish(seconds: ResourceUsage.seconds() - start)
        return report
    }

    /// Problems with `report` against this campaign's bounds (empty when within them).
    public func violations(_ report: FuzzReport) -> [String] {
        var problems: [String] = []
        if report.accepted + report.rejected != cases {
            problems.append("\(report.accepted + report.rejected) of \(cases) cases ended")
        }
        if report.slowestSeconds > maxCaseSeconds {
            problems.append("case \(report.slowestCase) took " + String(format: "%.2f s (bound %.1f s)", report.slowestSeconds, maxCaseSeconds)
                + " with IRPO_\(name)_FUZZ_SEED=\(seed)")
        }
        if report.residentGrowthBytes > maxResidentGrowthBytes || report.peakGrowthBytes > maxResidentGrowthBytes {
            problems.append("memory grew by \(report.residentGrowthBytes >> 20) MiB resident, \(report.peakGrowthBytes >> 20) MiB peak "
                + "(bound \(maxResidentGrowthBytes >> 20) MiB)")
        }
        return problems
    }
}
