import ArgumentParser

/// `irpo bench`: speed measurements (benchmarks live here, never in tests).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the engine's speed on this machine.",
        discussion: "Example: irpo bench train --shape tiny --threads 2",
        subcommands: [BenchTrainCommand.self, BenchDPOCommand.self, BenchGenerateCommand.self])
}
