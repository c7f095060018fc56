import ArgumentParser
import Foundation
import IRPOPipeline
import IRPOTensor

/// `irpo compare CONFIG [--baselines a,b,...] [--output DIR] [--resume]`: the paper's baselines
/// from the same seed model on the same data, printed in the layout of the paper's Table 1.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Run the paper's baselines (zero-shot CoT, SFT on gold, SFT on chosen, DPO, iterative RPO) and print one table.",
        discussion: """
            The RPO run goes to --output; each iteration-1 baseline trains from the seed model on the RPO run's \
            iteration-1 pairs (copied, not re-sampled) in --output/baselines/<name>, so the methods differ only in \
            the loss. The table is also written to --output/comparison.md.

            Example: irpo compare examples/synthetic-rpo.yaml --baselines zero-shot,sft-chosen,dpo,rpo --output runs/compare
            """)

    @Argument(help: "The run config (JSON or YAML), as for `irpo run`.")
    var config: String

    @Option(name: .long, help: "Methods, comma-separated: zero-shot, sft-gold, sft-chosen, dpo, rpo (default: all).")
    var baselines = Baseline.allCases.map(\.rawValue).joined(separator: ",")

    @Option(name: .long, help: "The output directory (default: runs/<name>-compare).")
    var output: String?

    @Flag(name: .long, help: "Continue a comparison in --output, skipping finished stages.")
    var resume = false

    func run() throws {
        do {
            let methods = try Baseline.parseList(baselines)
            let runConfig = try RunConfig(contentsOf: URL(fileURLWithPath: config))
            let directory = URL(fileURLWithPath: output ?? "runs/\(runConfig.name)-compare")
            let printer = ProgressPrinter()
            RunCancellation.installInterruptHandler()
            try runConfig.validate()
            ComputeContext(threads: runConfig.threads).apply()
            printer.line(GEMM.kernelReport())
            let comparison = Comparison(config: runConfig, baselines: methods, directory: directory,
                                        log: { printer.line($0) }, progress: { printer.update($0, $1, $2) })
            let table = try comparison.run(resume: resume)
            print("")
            print(table.markdown())
            print("table: \(directory.appendingPathComponent("comparison.md").path); report: \(directory.appendingPathComponent("report.md").path)")
        } catch let error as PipelineError {
            throw ValidationError(error.message)
        }
    }
}
