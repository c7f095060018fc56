import IRPOTensor

/// Keys and values of past tokens for a fixed number of sequence slots, so a Llama-family model
/// can decode one token at a time (see `LlamaModel.decode`).
///
/// Storage is one allocation per tensor kind: `keys` and `values` are
/// `[layers, slots, capacity, kvHeads * headDim]` (rotary embedding already applied to keys).
/// A slot holds one sequence; `length(of:)` tokens of it are cached. Slots are reused by
/// `reset(slot:)` (continuous batching) and filled from another slot by
/// `copyPrefix(from:to:length:)` (prefix sharing: the samples of one prompt reuse one prefill).
public final class KVCache: @unchecked Sendable {
    /// Number of decoder layers.
    public let layerCount: Int
    /// Number of sequence slots.
    public let slotCount: Int
    /// Most tokens one slot can hold.
    public let capacity: Int
    /// Floats per cached token per layer (`kvHeads * headDim`).
    public let rowWidth: Int
    /// `[layers, slots, capacity, rowWidth]`.
    let keys: UnsafeMutablePointer<Float>
    /// `[layers, slots, capacity, rowWidth]`.
    let values: UnsafeMutablePointer<Float>
    private var lengths: [Int]

    /// A cache for `slots` sequences of up to `capacity` tokens each, shaped for `configuration`.
    ///
    /// - Throws: `ModelError.invalidInput` if a size is not positive or the cache would need more
    ///   than 2^31 floats per tensor (lower the slot count or capacity).
    public init(configuration: LlamaConfiguration, slots: Int, capacity: Int) throws {
        guard slots >= 1, capacity >= 1 else {
            throw ModelError.invalidInput("a KV cache needs at least one slot and a capacity of at least one token (got \(slots) slots, capacity \(capacity))")
        }
        let width = configuration.keyValueWidth
        let (perLayer, o1) = (slots * capacity).multipliedReportingOverflow(by: width)
        let (total, o2) = perLayer.multipliedReportingOverflow(by: configuration.layerCount)
        guard !o1, !o2, total <= 1 << 31 else {
            throw ModelError.invalidInput("a KV cache of \(slots) slots x \(capacity) tokens needs too much memory for this model; lower the batch size or the maximum length")
        }
        layerCount = configuration.layerCount
        slotCount = slots
        self.capacity = capacity
        rowWidth = width
        keys = .allocate(capacity: max(1, total))
        values = .allocate(capacity: max(1, total))
        lengths = [Int](repeating: 0, count: slots)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    /// Bytes held by the cache.
    public var byteCount: Int { 2 * layerCount * slotCount * capacity * rowWidth * MemoryLayout<Float>.stride }

    /// Number of tokens cached in `slot`.
    public func length(of slot: Int) -> Int {
        precondition(slot >= 0 && slot < slotCount, "KVCache slot \(slot) out of range 0..<\(slotCount)")
        return lengths[slot]
    }

    /// Empties `slot` so a new sequence can use it.
    public func reset(slot: Int) {
        precondition(slot >= 0 && slot < slotCount, "KVCache slot \(slot) out of range 0..<\(slotCount)")
        lengths[slot] = 0
    }

    /// Makes `destination` hold the first `length` tokens of `source` (all of them when nil):
    /// the cached keys and values are copied, so both slots then grow independently.
    public func copyPrefix(from source: Int, to destination: Int, length: Int? = nil) {
        precondition(source >= 0 && source < slotCount && destination >= 0 && destination < slotCount,
                     "KVCache.copyPrefix slots out of range")
        let count = length ?? lengths[source]
        precondition(count >= 0 && count <= lengths[source], "KVCache.copyPrefix: slot \(source) holds \(lengths[source]) tokens, not \(count)")
        if source != destination {
            for layer in 0..<layerCount {
                let from = rowOffset(layer: layer, slot: source, position: 0)
                let to = rowOffset(layer: layer, slot: destination, position: 0)
                (keys + to).update(from: keys + from, count: count * rowWidth)
                (values + to).update(from: values + from, count: count * rowWidth)
            }
        }
        lengths[destination] = count
    }

    /// Offset of the cached row of `position` in `slot` at `layer`.
    @inline(__always)
    func rowOffset(layer: Int, slot: Int, position: Int) -> Int {
        ((layer * slotCount + slot) * capacity + position) * rowWidth
    }

    /// Records that `count` more tokens of `slot` are cached (after the decode pass wrote them).
    func advance(slot: Int, by count: Int) {
        lengths[slot] += count
    }
}
