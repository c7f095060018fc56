import Foundation
import IRPOTensor

/// What a `FuzzCampaign` run saw: outcomes, the slowest case and memory growth.
public struct FuzzReport: Sendable {
    /// The campaign's name.
    public let name: String
    /// The run's seed.
    public let seed: UInt64
    /// Cases accepted and rejected.
    public private(set) var accepted = 0, rejected = 0
    /// The slowest case and its wall time.
    public private(set) var slowestCase = 0, slowestSeconds = 0.0
    /// Resident set size at the start, the largest sampled, and the process peak at start and end.
    public private(set) var startResidentBytes: Int, maxResidentBytes: Int, startPeakBytes: Int, endPeakBytes: Int
    /// Wall time of the whole run.
    public private(set) var seconds = 0.0

    init(name: String, seed: UInt64) {
        self.name = name
        self.seed = seed
        startResidentBytes = ResourceUsage.residentBytes()
        maxResidentBytes = startResidentBytes
        startPeakBytes = ResourceUsage.peakResidentBytes()
        endPeakBytes = startPeakBytes
    }

    /// Growth of the sampled resident set over the run.
    public var residentGrowthBytes: Int { max(0, maxResidentBytes - startResidentBytes) }
    /// Growth of the process's peak resident set over the run.
    public var peakGrowthBytes: Int { max(0, endPeakBytes - startPeakBytes) }

    mutating func record(_ outcome: FuzzOutcome, index: Int, seconds: Double, sampleMemory: Bool) {
        switch outcome {
        case .accepted: accepted += 1
        case .rejected: rejected += 1
        }
        if seconds > slowestSeconds {
            slowestSeconds = seconds
            slowestCase = index
        }
        if sampleMemory { maxResidentBytes = max(maxResidentBytes, ResourceUsage.residentBytes()) }
    }

    mutating func finish(seconds: Double) {
        maxResidentBytes = max(maxResidentBytes, ResourceUsage.residentBytes())
        endPeakBytes = ResourceUsage.peakResidentBytes()
        self.seconds = seconds
    }

    /// One line for logs and for `scripts/fuzz_limits.sh`, which collects these lines.
    public var summary: String {
        "fuzz \(name): \(accepted + rejected) cases (seed \(seed)): \(accepted) accepted, \(rejected) rejected, 0 crashes; "
            + String(format: "slowest case %.3f s (#%d); resident %.0f MiB at start, +%.0f MiB sampled, peak +%.0f MiB "
                     + "(process peak %.0f MiB); %.1f s",
                     slowestSeconds, slowestCase, Double(startResidentBytes) / 1_048_576, Double(residentGrowthBytes) / 1_048_576,
                     Double(peakGrowthBytes) / 1_048_576, Double(endPeakBytes) / 1_048_576, seconds)
    }
}
