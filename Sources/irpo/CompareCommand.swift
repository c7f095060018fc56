import ArgumentParser

/// `irpo compare` (being built: issue 8).
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare", abstract: "Run the paper's baselines and print one table (not built yet).")

    func run() throws {
        throw ValidationError("irpo compare is not built yet")
    }
}
