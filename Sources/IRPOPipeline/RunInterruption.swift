import Foundation
import Synchronization

/// A point at which an `IterativeRun` may be interrupted and later resumed with no loss: what it
/// wrote so far is on disk, and a resumed run continues from there.
public enum RunInterruptionPoint: Sendable, Equatable {
    /// Sampling of iteration `iteration` has written the completions of `prompts` questions so far.
    case promptsSampled(iteration: Int, prompts: Int)
    /// The stage `name` ("iter-1/sample", ...) is done and recorded in state.json.
    case stageFinished(String)
    /// Training of iteration `iteration` finished optimizer step `step` (checkpoints are written before this).
    case trainingStep(iteration: Int, step: Int)
}

/// A request to stop a run at the next interruption point (SIGINT in `irpo run`).
public enum RunCancellation {
    private static let requested = Atomic<Bool>(false)

    /// Whether a stop has been requested.
    public static var isRequested: Bool { requested.load(ordering: .relaxed) }

    /// Asks running pipelines to stop at their next interruption point.
    public static func request() { requested.store(true, ordering: .relaxed) }

    /// Clears a request (tests).
    public static func reset() { requested.store(false, ordering: .relaxed) }

    /// Makes the first SIGINT (Ctrl-C) request a clean stop; a second one ends the process at once.
    public static func installInterruptHandler() {
        signal(SIGINT) { _ in
            RunCancellation.request()
            signal(SIGINT, SIG_DFL)
        }
    }

    /// The error a run throws when it stops on request.
    public static var error: PipelineError {
        PipelineError("interrupted; what was done is saved, run the same command with --resume to continue")
    }
}
