import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a command (an argv array, no shell) with its stdout and stderr merged, handing each line
/// to a callback on the calling thread while the command runs, and remembering the last lines.
///
/// The command's end is its exit, not the end of its output: a command that leaves a server
/// running in the background (which keeps the pipe open) still returns.
package struct ExternalTrainerProcess {
    /// The outcome of a run.
    package struct Outcome {
        /// The exit status (or the signal number when `signalled`).
        package var exitCode: Int32
        /// True when the process ended by a signal rather than `exit`.
        package var signalled: Bool
        /// The last lines of output (at most `keptLines`).
        package var lastLines: [String]
    }

    /// The program and its arguments (argv, no shell).
    package var arguments: [String]
    /// The whole environment of the command.
    package var environment: [String: String]
    /// Where the command runs (default: the current folder).
    package var workingDirectory: URL?
    /// Output lines kept for `Outcome.lastLines`.
    package var keptLines = 20

    /// A command to run.
    package init(arguments: [String], environment: [String: String], workingDirectory: URL? = nil, keptLines: Int = 20) {
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.keptLines = keptLines
    }

    /// Finds `arguments[0]` (a path, or a name looked up in PATH).
    /// - Throws: `ExternalTrainerError` naming the program when it cannot be found or run.
    package func executable() throws -> URL {
        guard let program = arguments.first, !program.isEmpty else {
            throw ExternalTrainerError("the command is empty; give the program and its arguments as a list, e.g. [\"python\", \"train.py\"]")
        }
        let manager = FileManager.default
        if program.contains("/") {
            guard manager.isExecutableFile(atPath: program) else {
                throw ExternalTrainerError("the program \(program) does not exist or is not executable; check the path in the command")
            }
            return URL(fileURLWithPath: program)
        }
        let path = environment["PATH"] ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent(program)
            if manager.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw ExternalTrainerError("the program \(program) was not found in PATH (\(path)); give its full path in the command")
    }

    /// Runs the command to its exit.
    /// - Parameter line: called on the calling thread with each output line (without newline).
    package func run(line: (String) -> Void) throws -> Outcome {
        let process = Process()
        process.executableURL = try executable()
        process.arguments = Array(arguments.dropFirst())
        process.environment = environment
        if let workingDirectory { process.currentDirectoryURL = workingDirectory }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        let collector = LineCollector()
        pipe.fileHandleForReading.readabilityHandler = { handle in collector.append(handle.availableData) }
        process.terminationHandler = { _ in collector.markExited() }
        do { try process.run() } catch {
            pipe.fileHandleForReading.readabilityHandler = nil
            throw ExternalTrainerError("cannot start \(arguments[0]) (\(error.localizedDescription)); check the command")
        }
        try? pipe.fileHandleForWriting.close()
        let pid = process.processIdentifier
        var last: [String] = []
        var exited = false
        var peeked: (code: Int32, signalled: Bool)?
        while !exited {
            // Foundation on Linux learns of the exit only when every copy of an inherited
            // descriptor closes, which a background child (a restarted server) keeps open; so
            // also ask the kernel directly, without reaping the child.
            var (lines, ended) = collector.wait(upTo: 0.2)
            if !ended, let status = Self.exitStatusWithoutReaping(pid: pid) {
                peeked = status
                ended = true
            }
            exited = ended
            // Output written just before the exit may still be in the pipe: give it a moment.
            let batch = ended ? lines + collector.drain(waitingUpTo: 0.5) : lines
            for text in batch {
                line(text)
                last.append(text)
                if last.count > keptLines { last.removeFirst(last.count - keptLines) }
            }
        }
        pipe.fileHandleForReading.readabilityHandler = nil
        if let peeked {
            return Outcome(exitCode: peeked.code, signalled: peeked.signalled, lastLines: last)
        }
        process.waitUntilExit()
        return Outcome(exitCode: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal, lastLines: last)
    }

    /// The exit status of child `pid` if it has ended, leaving it for Foundation to reap; nil while it runs.
    static func exitStatusWithoutReaping(pid: Int32) -> (code: Int32, signalled: Bool)? {
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 else { return nil }
        #if canImport(Glibc)
        let childPID = info._sifields._sigchld.si_pid
        let status = info._sifields._sigchld.si_status
        #else
        let childPID = info.si_pid
        let status = info.si_status
        #endif
        guard childPID == pid else { return nil }
        return (code: status, signalled: info.si_code != Int32(CLD_EXITED))
    }
}

/// Splits bytes from the reading thread into lines for the waiting thread.
/// Unchecked Sendable: every field is read and written only while holding `condition`.
private final class LineCollector: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending = Data()
    private var lines: [String] = []
    private var exited = false
    private var endOfFile = false

    func append(_ data: Data) {
        condition.lock()
        defer { condition.signal(); condition.unlock() }
        if data.isEmpty {
            endOfFile = true
            if !pending.isEmpty { lines.append(String(decoding: pending, as: UTF8.self)); pending.removeAll() }
            return
        }
        pending.append(data)
        while let newline = pending.firstIndex(of: 0x0A) {
            var lineBytes = pending[pending.startIndex..<newline]
            if lineBytes.last == 0x0D { lineBytes = lineBytes.dropLast() }
            lines.append(String(decoding: lineBytes, as: UTF8.self))
            pending.removeSubrange(pending.startIndex...newline)
        }
    }

    func markExited() {
        condition.lock()
        exited = true
        condition.signal()
        condition.unlock()
    }

    /// Blocks until there are lines, the process exited or `seconds` passed; returns the lines and
    /// whether it exited.
    func wait(upTo seconds: Double) -> ([String], Bool) {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(seconds)
        while lines.isEmpty && !exited && condition.wait(until: deadline) {}
        let taken = lines
        lines.removeAll()
        return (taken, exited)
    }

    /// The remaining lines, waiting up to `seconds` for the end of the output.
    func drain(waitingUpTo seconds: Double) -> [String] {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(seconds)
        while !endOfFile && condition.wait(until: deadline) {}
        var taken = lines
        lines.removeAll()
        if !pending.isEmpty {
            taken.append(String(decoding: pending, as: UTF8.self))
            pending.removeAll()
        }
        return taken
    }
}
