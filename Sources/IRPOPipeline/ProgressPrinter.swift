import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Prints progress of long stages to standard error and stage summaries to standard output.
///
/// On a terminal, progress is one line rewritten in place (a bar, done/total, rate and ETA).
/// When standard error is a file or a pipe, nothing is ever rewritten: progress is a plain line
/// at most every `plainInterval` seconds, so a log holds a few readable lines per stage. No
/// colour is used, so `NO_COLOR` needs no handling.
/// Unchecked Sendable: its mutable state is read and written only while holding `lock`.
public final class ProgressPrinter: @unchecked Sendable {
    /// How progress is written.
    public enum Style: Sendable, Equatable {
        /// One line rewritten with carriage returns (standard error is a terminal).
        case terminal
        /// Plain lines, throttled (standard error is a file or a pipe).
        case plain
    }

    /// The style this printer writes in.
    public let style: Style
    /// Seconds between two plain progress lines.
    public let plainInterval: TimeInterval
    private let writeProgress: (String) -> Void
    private let writeLine: (String) -> Void
    private var current: String?
    private var started = Date()
    private var lastPrint = Date.distantPast
    private var progressShown = false
    /// Held by `update` and `line`: progress may be reported from worker threads.
    private let lock = NSLock()

    /// A printer for this process: `.terminal` when standard error is a terminal, else `.plain`.
    public convenience init() {
        self.init(style: isatty(2) != 0 ? .terminal : .plain)
    }

    /// A printer with an explicit style and destinations (tests pass their own writers).
    /// - Parameters:
    ///   - style: how progress is written.
    ///   - plainInterval: seconds between two plain progress lines.
    ///   - writeProgress: receives progress text (standard error by default).
    ///   - writeLine: receives stage summaries (standard output by default).
    public init(style: Style, plainInterval: TimeInterval = 5,
                writeProgress: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) },
                writeLine: @escaping (String) -> Void = { FileHandle.standardOutput.write(Data($0.utf8)) }) {
        self.style = style
        self.plainInterval = plainInterval
        self.writeProgress = writeProgress
        self.writeLine = writeLine
    }

    /// Reports `done` of `total` for `what` (a few updates per second on a terminal, one line
    /// every `plainInterval` seconds otherwise).
    public func update(_ what: String, _ done: Int, _ total: Int, now: Date = Date()) {
        lock.lock()
        defer { lock.unlock() }
        if what != current {
            current = what
            started = now
            if style == .plain { lastPrint = now }
        }
        let elapsed = now.timeIntervalSince(started)
        switch style {
        case .terminal:
            guard done >= total || now.timeIntervalSince(lastPrint) > 0.5 else { return }
            lastPrint = now
            writeProgress("\r" + Self.text(what, done, total, elapsed: elapsed, barWidth: 24) + "\u{1B}[K")
            progressShown = true
        case .plain:
            guard done < total, now.timeIntervalSince(lastPrint) >= plainInterval else { return }
            lastPrint = now
            writeProgress(Self.text(what, done, total, elapsed: elapsed, barWidth: 0) + "\n")
        }
    }

    /// Prints a stage summary on its own line (clearing a progress line on a terminal).
    public func line(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        if style == .terminal && progressShown {
            writeProgress("\r\u{1B}[K")
            progressShown = false
        }
        writeLine(text + "\n")
        current = nil
    }

    /// One progress text: an optional bar `[#####.....]`, done/total, percentage, rate and ETA.
    public static func text(_ what: String, _ done: Int, _ total: Int, elapsed: TimeInterval, barWidth: Int) -> String {
        let fraction = total > 0 ? min(max(Double(done) / Double(total), 0), 1) : 0
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(max(total - done, 0)) / rate : nil
        var parts = [what]
        if barWidth > 0 {
            let filled = Int((fraction * Double(barWidth)).rounded(.down))
            parts.append("[" + String(repeating: "#", count: filled) + String(repeating: ".", count: barWidth - filled) + "]")
        }
        parts.append("\(done)/\(total)")
        parts.append(String(format: "%.0f%%", fraction * 100))
        parts.append(String(format: "%.1f/s", rate))
        parts.append(eta.map { "ETA " + duration($0) } ?? "ETA ?")
        return parts.joined(separator: " ")
    }

    /// Seconds as "42 s", "3 min 05 s" or "1 h 02 min".
    static func duration(_ seconds: TimeInterval) -> String {
        let total = Int(seconds.rounded())
        if total < 60 { return "\(total) s" }
        if total < 3600 { return String(format: "%d min %02d s", total / 60, total % 60) }
        return String(format: "%d h %02d min", total / 3600, (total % 3600) / 60)
    }
}
