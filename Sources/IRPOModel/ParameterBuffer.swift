import IRPOTensor

/// One flat, owned `Float` allocation laid out by a `ParameterLayout`, with named views.
///
/// Used for parameters, their gradients and optimizer moments. Reference type: copying the
/// reference shares the storage; use `copy()` for a deep copy.
/// Unchecked Sendable: concurrent kernels write disjoint ranges, and parameters are never changed while a pass reads them.
public final class ParameterBuffer: @unchecked Sendable {
    /// The layout of this buffer.
    public let layout: ParameterLayout
    /// The storage, `layout.totalCount` floats, zero-initialised.
    public let base: UnsafeMutablePointer<Float>

    /// A zero-filled buffer for `layout`.
    public init(layout: ParameterLayout) {
        self.layout = layout
        base = .allocate(capacity: max(1, layout.totalCount))
        base.initialize(repeating: 0, count: max(1, layout.totalCount))
    }

    deinit { base.deallocate() }

    /// Number of floats.
    public var count: Int { layout.totalCount }

    /// The whole buffer (valid only while this object is alive: keep a reference).
    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: base, count: count) }

    /// Pointer to the first element of `kind` in `layer` (the tensor must exist).
    @inlinable
    public func pointer(_ kind: ParameterKind, layer: Int = 0) -> UnsafeMutablePointer<Float> {
        base + layout.offset(kind, layer: layer)
    }

    /// The elements of `kind` in `layer` (the tensor must exist).
    public func view(_ kind: ParameterKind, layer: Int = 0) -> UnsafeMutableBufferPointer<Float> {
        guard let entry = layout.entry(kind, layer: layer) else {
            preconditionFailure("this model has no \(kind) tensor in layer \(layer)")
        }
        return UnsafeMutableBufferPointer(start: base + entry.offset, count: entry.count)
    }

    /// Sets every element to zero.
    public func zero() {
        base.update(repeating: 0, count: count)
    }

    /// A deep copy.
    public func copy() -> ParameterBuffer {
        let result = ParameterBuffer(layout: layout)
        result.base.update(from: base, count: count)
        return result
    }

    /// Copies `other`'s values into this buffer (same layout).
    public func assign(from other: ParameterBuffer) {
        precondition(other.layout == layout, "ParameterBuffer.assign needs the same layout")
        base.update(from: other.base, count: count)
    }

    /// Fills the buffer as transformers initialises a Llama: linear and embedding weights
    /// normal(0, `std`), RMSNorm weights one, biases zero; draws in layout order from `seed`.
    public func initializeRandomly(seed: UInt64, std: Float) {
        var generator = SeededGenerator(seed: seed)
        for entry in layout.entries {
            let start = base + entry.offset
            if entry.kind.isNormWeight {
                start.update(repeating: 1, count: entry.count)
            } else if entry.kind.isBias {
                start.update(repeating: 0, count: entry.count)
            } else {
                generator.fillNormal(start, count: entry.count, mean: 0, std: std)
            }
        }
    }

    /// Sum of squares of all elements, accumulated in Double.
    public func sumOfSquares() -> Double {
        var total = 0.0
        var chunk: Float = 0
        for index in 0..<count {
            chunk += base[index] * base[index]
            if index % 4096 == 4095 { total += Double(chunk); chunk = 0 }
        }
        return total + Double(chunk)
    }
}
