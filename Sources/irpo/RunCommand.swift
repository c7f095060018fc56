import ArgumentParser
import Foundation
import IRPOPipeline
import IRPOTensor

/// `irpo run CONFIG [--resume] [--output DIR]`.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run Iterative RPO from a JSON or YAML config (sample, score, pair, refcache, train, eval per iteration).",
        discussion: """
            Ctrl-C stops at the next safe point (after a sampled question, a training step or a stage); run again with --resume to continue.

            Example: irpo run examples/synthetic-rpo.yaml --output runs/synthetic
            Example: irpo run examples/smollm2-gguf.yaml --export-gguf q8_0
            Example: irpo run examples/synthetic-rpo.yaml --print-config   (every key, defaults filled in)
            Example: irpo run --print-keys                                 (every key with its type, default and meaning)
            """)

    @Argument(help: "The run config (.json, or .yaml/.yml). Every key is optional and defaults to the paper's value.")
    var config: String?

    @Flag(name: .long, help: "Continue a run in --output, skipping finished stages.")
    var resume = false

    @Option(name: .long, help: "The run directory (default: runs/<name>).")
    var output: String?

    @Option(name: .customLong("export-gguf"),
            help: "Also write iter-t/model.<type>.gguf after each iteration: f32, f16, q8_0 or q4_0 (comma-separated; added to output.gguf.types).")
    var exportGGUF: [String] = []

    @Flag(name: .long, help: "Print the config with every key resolved (defaults filled in) as YAML, and exit.")
    var printConfig = false

    @Flag(name: .long, help: "Print every config key with its type, default and meaning (markdown tables), and exit.")
    var printKeys = false

    func validate() throws {
        if printKeys {
            guard config == nil, !printConfig, !resume, output == nil, exportGGUF.isEmpty else {
                throw ValidationError("--print-keys takes no config and no other option: irpo run --print-keys")
            }
        } else if config == nil {
            throw ValidationError("missing the run config: irpo run CONFIG (see examples/; `irpo run --print-keys` lists every key)")
        }
    }

    func run() throws {
        if printKeys {
            print(RunConfig.keyTables.map { "\($0.marker)\n\($0.markdown)" }.joined(separator: "\n\n"))
            return
        }
        guard let config else { return }
        do {
            var runConfig = try RunConfig(contentsOf: URL(fileURLWithPath: config))
            for name in exportGGUF.flatMap({ $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } })
            where !runConfig.output.gguf.types.contains(name) {
                runConfig.output.gguf.types.append(name)
            }
            if printConfig {
                try runConfig.validate()
                print(try runConfig.resolvedYAML(), terminator: "")
                return
            }
            let directory = URL(fileURLWithPath: output ?? "runs/\(runConfig.name)")
            let printer = ProgressPrinter()
            RunCancellation.installInterruptHandler()
            try runConfig.validate()
            ComputeContext(threads: runConfig.threads).apply()
            printer.line(GEMM.kernelReport())
            let run = try IterativeRun(config: runConfig, directory: directory, resume: resume,
                                       log: { printer.line($0) }, progress: { printer.update($0, $1, $2) })
            try run.run()
        } catch let error as PipelineError {
            throw ValidationError(error.message)
        }
    }
}
