/// Carries a value into a `@Sendable` closure; the caller guarantees the concurrent uses are safe
/// (here: closures that write disjoint ranges of memory).
struct UncheckedSendableBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A pointer that may cross into concurrently executed closures writing disjoint ranges.
struct SendablePointer<Element>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Element>
    init(_ pointer: UnsafeMutablePointer<Element>) { self.pointer = pointer }
}
