import ArgumentParser
import IRPOPipeline

/// Upper bounds on the counts the command-line flags accept, in one place (docs/limits.md lists
/// them). Most reuse the run-config bounds of `PipelineLimits`; a flag outside its bound is a
/// usage error naming the flag, its value and the bound.
enum CommandLimits {
    /// Most worker threads (`--threads`).
    static let maxThreads = PipelineLimits.maxThreads
    /// Largest demo model dimensions (`irpo demo --hidden-size`, `--intermediate-size`,
    /// `--layers`, `--heads`).
    static let maxDemoHiddenSize = 4096
    static let maxDemoIntermediateSize = 16_384
    static let maxDemoLayers = 128
    static let maxDemoHeads = 256
    /// Most parameters of a demo model (about 1 GiB of f32 weights).
    static let maxDemoParameters = 1 << 28
    /// Most step checkpoints kept (`irpo train --checkpoint-limit`).
    static let maxCheckpointLimit = 10_000

    /// Checks `--threads` (nil means the default).
    static func checkThreads(_ threads: Int?, flag: String = "--threads") throws {
        guard let threads else { return }
        try check(flag, threads, 1...maxThreads)
    }

    /// Checks that `value` of `flag` lies in `range`.
    static func check(_ flag: String, _ value: Int, _ range: ClosedRange<Int>) throws {
        guard range.contains(value) else {
            throw ValidationError("\(flag) must be in \(range.lowerBound)...\(range.upperBound), got \(value)")
        }
    }

    /// Checks an optional flag (nil means the default).
    static func check(_ flag: String, _ value: Int?, _ range: ClosedRange<Int>) throws {
        if let value { try check(flag, value, range) }
    }
}
