import Foundation
#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// Makes a command-line process run OpenBLAS's best kernels for this CPU without any setting.
///
/// OpenBLAS reads `OPENBLAS_CORETYPE` only when the library loads, before `main` runs, so a
/// different kernel set cannot be chosen in a running process. `prepareProcess()`, called first
/// thing in `main`, does this when `BLASKernelChoice` says OpenBLAS fell back to generic kernels:
///
/// 1. For each candidate kernel set in order, it runs this executable once more as a child with
///    `OPENBLAS_CORETYPE` set to the candidate and `IRPO_BLAS_SELF_CHECK=1`; the child runs
///    `GEMM.selfCheck()` and exits (a kernel the CPU cannot run ends the child with SIGILL, not
///    this process). The first candidate whose child passes is chosen.
/// 2. It replaces this process with the same executable and arguments (`execv`), with
///    `OPENBLAS_CORETYPE` set to the chosen kernels and `IRPO_BLAS_SELECTED` recording the choice,
///    which also stops the new process from selecting again.
///
/// An explicit `OPENBLAS_CORETYPE` always wins; `IRPO_BLAS_SELECTION=off` turns the selection off;
/// `IRPO_BLAS_SELECTION=force` runs it even when OpenBLAS recognised the CPU (to test it).
/// `summary` says what happened, for logs and benchmarks.
public enum BLASKernelSelection {
    /// Set in the self-check child.
    public static let selfCheckVariable = "IRPO_BLAS_SELF_CHECK"
    /// Set by the re-executed process: `<chosen core>;<core OpenBLAS had chosen>;<rejected candidates>`.
    public static let selectedVariable = "IRPO_BLAS_SELECTED"
    /// Exit status of a self-check child whose products were wrong.
    static let wrongResultStatus: Int32 = 3
    /// A self-check child that has not finished after this many seconds counts as failed.
    static let childTimeout: Double = 20

    private static let state = SelectionSummary()

    /// The kernel set OpenBLAS is using (`openblas_get_corename()`), e.g. "Zen", "SkylakeX".
    public static var coreName: String {
        #if canImport(Accelerate)
        return "Accelerate"
        #else
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
        #endif
    }

    /// One line naming the kernels in use and how they were chosen.
    public static var summary: String {
        state.read() ?? describe(choice: currentChoice(), rejected: [])
    }

    /// Call first thing in `main`: runs the self-check when this process is a self-check child
    /// (and exits), otherwise selects better kernels when OpenBLAS fell back to generic ones and
    /// re-executes the process with them (does not return then).
    public static func prepareProcess() {
        #if os(Linux) && !canImport(Accelerate)
        let environment = ProcessInfo.processInfo.environment
        if environment[selfCheckVariable] == "1" {
            exit(GEMM.selfCheck() == nil ? 0 : wrongResultStatus)
        }
        if let selected = environment[selectedVariable] {
            let parts = selected.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
            let from = parts.count > 1 ? parts[1] : "?"
            let rejected = parts.count > 2 ? parts[2].split(separator: ",").map(String.init) : []
            state.write("OpenBLAS \(coreName) kernels, chosen by irpo after a self-check (OpenBLAS did not recognise this CPU and chose \(from))"
                        + (rejected.isEmpty ? "" : "; rejected: \(rejected.joined(separator: ", "))"))
            return
        }
        let choice = currentChoice()
        guard case let .tryInOrder(current, candidates) = choice else { return }
        guard let executable = executablePath() else { return }
        var rejected: [String] = []
        for candidate in candidates {
            if childPasses(executable: executable, core: candidate, environment: environment) {
                setenv("OPENBLAS_CORETYPE", candidate, 1)
                setenv(selectedVariable, "\(candidate);\(current);\(rejected.joined(separator: ","))", 1)
                let arguments = CommandLine.arguments
                var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
                argv.append(nil)
                execv(executable, &argv)
                // execv returned: it failed. Carry on with OpenBLAS's own kernels.
                unsetenv("OPENBLAS_CORETYPE")
                unsetenv(selectedVariable)
                for pointer in argv { free(pointer) }
                state.write("OpenBLAS \(current) kernels (generic): could not re-execute \(executable) with \(candidate) (errno \(errno))")
                return
            }
            rejected.append(candidate)
        }
        let message = "OpenBLAS \(current) kernels (generic): no faster kernel set passed the self-check (tried \(rejected.joined(separator: ", ")))"
        state.write(message)
        FileHandle.standardError.write(Data("irpo: warning: \(message); matrix products will be slow\n".utf8))
        #endif
    }

    /// The decision for this process as it runs now.
    static func currentChoice() -> BLASKernelChoice {
        let environment = ProcessInfo.processInfo.environment
        let force = environment[BLASKernelChoice.switchVariable]?.lowercased() == "force"
        return BLASKernelChoice.decide(core: coreName, features: .current, environment: environment, treatAsGeneric: force)
    }

    /// Describes a decision that needed no re-execution.
    static func describe(choice: BLASKernelChoice, rejected: [String]) -> String {
        switch choice {
        case let .userChoice(value):
            return "OpenBLAS \(coreName) kernels (OPENBLAS_CORETYPE=\(value) set in the environment)"
        case .disabled:
            return "OpenBLAS \(coreName) kernels (OpenBLAS's own choice; \(BLASKernelChoice.switchVariable)=off)"
        case .keep:
            return "OpenBLAS \(coreName) kernels (OpenBLAS's own choice)"
        case let .tryInOrder(current, _):
            return "OpenBLAS \(current) kernels (generic; the selection did not run in this process)"
        }
    }

    #if os(Linux) && !canImport(Accelerate)
    /// The path of this executable (`/proc/self/exe` resolved).
    static func executablePath() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Runs the self-check in a child process with `OPENBLAS_CORETYPE=core`.
    static func childPasses(executable: String, core: String, environment: [String: String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = []
        var childEnvironment = environment
        childEnvironment["OPENBLAS_CORETYPE"] = core
        childEnvironment[selfCheckVariable] = "1"
        process.environment = childEnvironment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return false }
        let deadline = Date().addingTimeInterval(childTimeout)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                process.waitUntilExit()
                return false
            }
            usleep(2_000)
        }
        return process.terminationReason == .exit && process.terminationStatus == 0
    }
    #endif
}

/// A lock-protected optional string (the selection's summary, written once at start-up).
/// Unchecked Sendable: the text is read and written only while holding `lock`.
private final class SelectionSummary: @unchecked Sendable {
    private let lock = NSLock()
    private var summaryText: String?

    init() {}

    func read() -> String? { lock.withLock { summaryText } }
    func write(_ text: String) { lock.withLock { summaryText = text } }
}
