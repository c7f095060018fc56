import Foundation

/// Hands finished prompts from the async request tasks to the thread that called
/// `OpenAICompatibleBackend.complete`, which blocks in `next()` and runs the caller's callbacks
/// itself (so they need not be `Sendable` and never run on an event loop).
/// Unchecked Sendable: its queue and flags are read and written only while holding `condition`.
final class OpenAICompatibleMailbox: @unchecked Sendable {
    /// What the waiting thread gets.
    enum Event {
        case prompt(Int, [BackendCompletion])
        case failed(any Error)
        case finished
    }

    private let condition = NSCondition()
    private var queue: [(Int, [BackendCompletion])] = []
    private var failure: (any Error)?
    private var isFinished = false

    /// A prompt is done.
    func deliver(_ index: Int, _ completions: [BackendCompletion]) {
        condition.lock()
        queue.append((index, completions))
        condition.signal()
        condition.unlock()
    }

    /// The work failed (the first failure wins).
    func fail(_ error: any Error) {
        condition.lock()
        if failure == nil { failure = error }
        condition.signal()
        condition.unlock()
    }

    /// All work has ended.
    func finish() {
        condition.lock()
        isFinished = true
        condition.signal()
        condition.unlock()
    }

    /// Blocks until a prompt is delivered, the work fails, or everything is finished. Delivered
    /// prompts come first, so none is lost when a later one fails.
    func next() -> Event {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && failure == nil && !isFinished { condition.wait() }
        if !queue.isEmpty {
            let (index, completions) = queue.removeFirst()
            return .prompt(index, completions)
        }
        if let failure { return .failed(failure) }
        return .finished
    }
}
