import ArgumentParser
import IRPOTensor

/// `--threads`, shared by every command that computes: it makes the command's `ComputeContext`.
struct ComputeOptions: ParsableArguments {
    @Option(name: .long, help: "Worker threads for the kernels and BLAS (default: all cores; irpo bench: 2).")
    var threads: Int?

    func validate() throws {
        try CommandLimits.checkThreads(threads)
    }

    /// The command's context: `--threads` when given, else `fallback` (a run config's `threads`,
    /// or a benchmark's fixed default), else the defaults.
    func context(fallback: Int? = nil) -> ComputeContext {
        ComputeContext(threads: threads ?? fallback)
    }
}
