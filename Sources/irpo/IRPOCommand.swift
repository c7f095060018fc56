import ArgumentParser

@main
struct IRPOCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "irpo",
        abstract: "Iterative Reasoning Preference Optimization on CPU.",
        subcommands: []
    )
}
