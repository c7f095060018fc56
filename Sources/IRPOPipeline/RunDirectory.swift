import Foundation
import IRPOFormats

/// The run directory: `config.json` (resolved), `state.json` (finished stages), `data/`,
/// `iter-<t>/{questions.jsonl, samples.jsonl, scored.jsonl, pairs.jsonl, pair_stats.json,
/// ref_logps.json, train/, model/, eval.json}`, `report.md` and charts.
public struct RunDirectory: Sendable {
    /// The root folder.
    public let root: URL

    public init(root: URL) { self.root = root }

    public var configURL: URL { root.appendingPathComponent("config.json") }
    public var stateURL: URL { root.appendingPathComponent("state.json") }
    public var logURL: URL { root.appendingPathComponent("run.log") }
    /// `data/<split>.jsonl`: the evaluation questions, fixed for the whole run.
    public func dataURL(split: String) -> URL { root.appendingPathComponent("data/\(split).jsonl") }
    /// The `dataURL` split name of the held-out training questions that score checkpoints.
    public static let selectionSplit = "selection"
    /// `iter-<t>/` (iteration 0 holds the seed model's evaluation).
    public func iteration(_ t: Int) -> URL { root.appendingPathComponent("iter-\(t)") }
    public func file(_ name: String, iteration t: Int) -> URL { iteration(t).appendingPathComponent(name) }

    /// Reads state.json (an empty state when it does not exist).
    public func loadState() throws -> RunState {
        guard FileManager.default.fileExists(atPath: stateURL.path) else { return RunState() }
        do { return try JSONDecoder().decode(RunState.self, from: Data(contentsOf: stateURL)) } catch {
            throw PipelineError("\(stateURL.path) is damaged (\(error)); delete it to redo every stage")
        }
    }

    /// Writes state.json atomically.
    public func save(_ state: RunState) throws { try AtomicFileWriter.writeJSON(state, to: stateURL) }
}

/// `state.json`: the stages finished so far, as "iter-<t>/<stage>".
public struct RunState: Codable, Sendable, Equatable {
    public var format = "irpo-run-state-v1"
    public var completed: [String] = []
    public init() {}

    public func isDone(_ stage: String) -> Bool { completed.contains(stage) }
    public mutating func markDone(_ stage: String) { if !isDone(stage) { completed.append(stage) } }
}
