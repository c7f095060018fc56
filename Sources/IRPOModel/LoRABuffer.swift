/// One flat, owned, zero-initialised `Float` allocation laid out by a `LoRALayout`: adapter
/// weights or their gradients.
/// Unchecked Sendable: concurrent kernels write disjoint ranges, and weights are never changed while a pass reads them.
public final class LoRABuffer: @unchecked Sendable {
    /// The layout.
    public let layout: LoRALayout
    /// The storage, `layout.totalCount` floats.
    public let base: UnsafeMutablePointer<Float>

    /// A zero-filled buffer for `layout`.
    public init(layout: LoRALayout) {
        self.layout = layout
        base = .allocate(capacity: max(1, layout.totalCount))
        base.initialize(repeating: 0, count: max(1, layout.totalCount))
    }

    deinit { base.deallocate() }

    /// Number of floats.
    public var count: Int { layout.totalCount }

    /// Sets every element to zero.
    public func zero() { base.update(repeating: 0, count: max(1, count)) }

    /// The `A` matrix `[rank, in]` of `adapter`.
    public func a(_ adapter: LoRALayout.Adapter) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: base + adapter.aOffset, count: layout.rank * adapter.inputWidth)
    }

    /// The `B` matrix `[out, rank]` of `adapter`.
    public func b(_ adapter: LoRALayout.Adapter) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: base + adapter.bOffset, count: adapter.outputWidth * layout.rank)
    }
}
