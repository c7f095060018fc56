import ArgumentParser
import Foundation
import IRPOPipeline

/// `irpo report RUN_DIR`.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Write report.md and the SVG charts of a run directory and print the summary.",
        discussion: "Example: irpo report runs/demo/run")

    @Argument(help: "The run directory (the --output of irpo run).")
    var runDirectory: String

    func run() throws {
        do {
            let report = try RunReport(directory: URL(fileURLWithPath: runDirectory))
            try report.write()
            print(report.markdown())
        } catch let error as PipelineError {
            throw ValidationError(error.message)
        }
    }
}
