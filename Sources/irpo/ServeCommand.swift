import ArgumentParser

/// `irpo serve` (being built: issue 9).
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve a model over an OpenAI-compatible HTTP API (not built yet).")

    func run() throws {
        throw ValidationError("irpo serve is not built yet")
    }
}
