import Atomics

/// A flag that can be claimed once, from any thread (a forward pass's one backward).
public final class OneShotFlag: Sendable {
    private let claimed = ManagedAtomic<Bool>(false)

    /// An unclaimed flag.
    public init() {}

    /// True for the first call, false for every later one.
    public func claim() -> Bool {
        claimed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    }
}
