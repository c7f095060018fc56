import ArgumentParser
import Foundation
import IRPOPipeline

/// `irpo demo`: the built-in end-to-end demonstration on the synthetic task.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Train a small model from scratch on the synthetic task (M0), then run Iterative RPO and print the accuracy table.")

    @Option(name: .long, help: "Output folder (resumes if it holds an unfinished demo).")
    var output = "runs/demo"

    @Option(name: .long, help: "RPO iterations.")
    var iterations = 3

    @Option(name: .long, help: "SFT steps of M0 (default 500).")
    var sftSteps: Int?

    @Option(name: .long, help: "Fresh training questions per RPO iteration (default 1000).")
    var questions: Int?

    @Option(name: .long, help: "Samples per training question, N (default 4).")
    var samples: Int?

    @Option(name: .long, help: "Dev and test questions (default 300 and 400).")
    var evaluationQuestions: Int?

    @Option(name: .long, help: "Worker threads (default: all cores).")
    var threads: Int?

    @Option(name: .long, help: "Seed.")
    var seed: UInt64 = 1

    func run() throws {
        var settings = DemoSettings()
        settings.iterations = iterations
        settings.threads = threads
        settings.seed = seed
        for (name, value) in [("--iterations", iterations), ("--sft-steps", sftSteps ?? 1), ("--questions", questions ?? 1),
                              ("--samples", samples ?? 1), ("--evaluation-questions", evaluationQuestions ?? 1), ("--threads", threads ?? 1)]
        where value < 1 {
            throw ValidationError("\(name) must be >= 1, got \(value)")
        }
        if let sftSteps { settings.sftSteps = sftSteps }
        if let questions { settings.questionsPerIteration = questions }
        if let samples { settings.samplesPerQuestion = samples }
        if let evaluationQuestions {
            settings.devQuestions = evaluationQuestions
            settings.testQuestions = evaluationQuestions
        }
        let printer = ProgressPrinter()
        let start = Date()
        do {
            let folder = URL(fileURLWithPath: output)
            try Demo(settings: settings, log: { printer.line($0) }, progress: { printer.update($0, $1, $2) }).run(output: folder)
            let report = try RunReport(directory: Demo.runFolder(output: folder))
            print("")
            print(report.markdown())
            print(String(format: "total %.0f s; report: %@", Date().timeIntervalSince(start),
                         Demo.runFolder(output: folder).appendingPathComponent("report.md").path))
        } catch let error as PipelineError {
            throw ValidationError(error.message)
        }
    }
}
