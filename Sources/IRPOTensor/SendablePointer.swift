/// A mutable pointer that may cross into concurrently running closures.
///
/// Swift 6 rejects capturing `UnsafeMutablePointer` in `@Sendable` closures. Kernels that write
/// disjoint ranges from several workers wrap their buffers in this; the caller guarantees that
/// no two workers touch the same element.
/// Unchecked Sendable: callers guarantee that no two workers touch the same element.
public struct SendablePointer<Pointee>: @unchecked Sendable {
    /// The wrapped pointer.
    public let pointer: UnsafeMutablePointer<Pointee>

    /// Wraps `pointer`.
    @inlinable
    public init(_ pointer: UnsafeMutablePointer<Pointee>) { self.pointer = pointer }

    /// Wraps a read-only pointer (the kernels never write through it).
    @inlinable
    public init(_ pointer: UnsafePointer<Pointee>) { self.pointer = UnsafeMutablePointer(mutating: pointer) }
}
