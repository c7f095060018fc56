import Foundation

/// A flag that can be claimed once, from any thread: a forward pass's one backward.
final class OneShotFlag: Sendable {
    private let claimed = NSLock()
    // The lock's own state is the flag: `try()` succeeds for the first claimer only, and the lock
    // is never released.

    /// True for the first call, false for every later one.
    func claim() -> Bool { claimed.try() }
}
