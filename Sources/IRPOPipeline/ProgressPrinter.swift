import Foundation

/// Prints progress of long stages to standard error as one rewritten line with rate and ETA,
/// and stage summaries as normal lines.
public final class ProgressPrinter: @unchecked Sendable {
    private var current: String?
    private var started = Date()
    private var lastPrint = Date.distantPast

    public init() {}

    /// Reports `done` of `total` for `what` (throttled to a few updates per second).
    public func update(_ what: String, _ done: Int, _ total: Int) {
        let now = Date()
        if what != current {
            current = what
            started = now
        }
        guard done >= total || now.timeIntervalSince(lastPrint) > 0.5 else { return }
        lastPrint = now
        let elapsed = now.timeIntervalSince(started)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let line = String(format: "\r%@ %d/%d (%.1f/s, ETA %.0f s)   ", what, done, total, rate, eta)
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Prints a finished line (clearing the progress line).
    public func line(_ text: String) {
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
        current = nil
    }
}
