import ArgumentParser
import IRPOTensor

@main
struct IRPOCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "irpo",
        abstract: "Iterative Reasoning Preference Optimization on CPU.",
        discussion: """
            Example: irpo demo
            Example: irpo run examples/synthetic-rpo.yaml --output runs/synthetic
            """,
        version: IRPOVersion.current,
        subcommands: [
            DemoCommand.self, RunCommand.self, CompareCommand.self, EvalCommand.self, ReportCommand.self, ServeCommand.self,
            GenerateCommand.self, TrainCommand.self, LogprobsCommand.self, TokenizeCommand.self,
            InspectCommand.self, ConvertCommand.self, BenchCommand.self,
        ]
    )

    /// Selects OpenBLAS kernels for this CPU (which may re-execute the process) before parsing.
    static func main() async {
        BLASKernelSelection.prepareProcess()
        await main(nil)
    }
}
