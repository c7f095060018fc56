import IRPOTensor

/// Keys and values of past tokens for a fixed number of sequence slots, so a Llama-family model
/// can decode one token at a time (see `LlamaModel.decode`).
///
/// ## Layout
/// One allocation per tensor kind, `[layers][slots][kvHeads][...]`, so the cached rows of one
/// (slot, kv head) are one contiguous block that decode attention streams through:
/// - keys in blocks of 8 positions stored dimension-major, `[capacity / 8][headDim][8]`: the
///   scores of 8 positions are 8 lanes of one vector, with no horizontal sums;
/// - values row-major, `[capacity][headDim]`.
/// Capacities are rounded up to a multiple of 8; the rotary embedding is already applied to keys.
///
/// ## Slots and prefixes
/// A slot holds one sequence; `length(of:)` tokens of it are cached. Slots are reused by
/// `reset(slot:)` (continuous batching). The samples of one prompt share its prefill in one of
/// two ways: `copyPrefix(from:to:length:)` copies the rows, while `sharePrefix(from:to:length:)`
/// makes the destination read the source's rows in place (only a partial last block of 8 is
/// copied), so a prompt's keys and values are stored and streamed once for all its samples. A
/// slot whose rows are shared cannot be reset until every slot sharing them has been reset.
/// Either way a sequence's attention arithmetic is exactly the same as with its own rows.
/// Unchecked Sendable: one generation run owns a cache at a time; its decode workers write disjoint (slot, kv head) rows.
public final class KVCache: @unchecked Sendable {
    /// Number of decoder layers.
    public let layerCount: Int
    /// Positions per key block: the keys of a block are stored dimension-major, so one
    /// `SIMD8<Float>` load holds one dimension of all its positions (decode attention scores a
    /// block as 8 lanes). Capacities are rounded up to a multiple of it.
    public static let blockSize = 8

    /// Number of sequence slots.
    public let slotCount: Int
    /// Floats per cached token per layer (`kvHeads * headDim`).
    public let rowWidth: Int
    /// Key-value heads and their size.
    let kvHeads: Int, headDim: Int
    /// `[layers][slots][kvHeads][blocks][headDim][8]`.
    let keys: UnsafeMutablePointer<Float>
    /// `[layers][slots][kvHeads][capacity][headDim]`.
    let values: UnsafeMutablePointer<Float>
    /// Requested tokens per slot.
    private let capacities: [Int]
    /// Capacities rounded up to a multiple of 8 (the storage of each slot).
    private let storedCapacities: [Int]
    /// Floats from the start of a layer to each slot's block.
    private let slotOffsets: [Int]
    /// Floats per layer.
    private let layerStride: Int
    private var lengths: [Int]
    /// Per slot: the slot whose rows `0..<8 * blocks` it reads, if it shares a prefix.
    private var sources: [(slot: Int, blocks: Int)?]
    /// Per slot: how many slots read its rows.
    private var sharers: [Int]

    /// A cache for `slots` sequences of up to `capacity` tokens each, shaped for `configuration`.
    ///
    /// - Throws: `ModelError.invalidInput` if a size is not positive or the cache would need more
    ///   than 2^31 floats per tensor (lower the slot count or capacity).
    public convenience init(configuration: LlamaConfiguration, slots: Int, capacity: Int) throws {
        guard slots >= 1 else {
            throw ModelError.invalidInput("a KV cache needs at least one slot and a capacity of at least one token (got \(slots) slots, capacity \(capacity))")
        }
        try self.init(configuration: configuration, capacities: [Int](repeating: capacity, count: slots))
    }

    /// A cache with one slot per entry of `capacities`, each holding up to that many tokens (a
    /// generator keeps prompt-only slots, for shared prefixes, next to full-length ones).
    ///
    /// - Throws: `ModelError.invalidInput` if there is no slot, a capacity is not positive, or the
    ///   cache would need more than 2^31 floats per tensor.
    public init(configuration: LlamaConfiguration, capacities: [Int]) throws {
        guard !capacities.isEmpty, let smallest = capacities.min(), smallest >= 1 else {
            throw ModelError.invalidInput("a KV cache needs at least one slot and a capacity of at least one token (got \(capacities.count) slots, capacities \(capacities.prefix(4)))")
        }
        // A capacity past 2^31 tokens cannot fit anyway; refusing it first keeps the rounding
        // below from overflowing.
        guard let largest = capacities.max(), largest <= 1 << 31 else {
            throw ModelError.invalidInput("a KV cache slot of \(capacities.max() ?? 0) tokens needs too much memory for this model; lower the batch size or the maximum length")
        }
        let width = configuration.keyValueWidth
        let stored = capacities.map { ($0 + KVCache.blockSize - 1) / KVCache.blockSize * KVCache.blockSize }
        var offsets: [Int] = []
        var perLayer = 0
        var overflow = false
        for capacity in stored {
            offsets.append(perLayer)
            let (slotFloats, o1) = capacity.multipliedReportingOverflow(by: width)
            let (sum, o2) = perLayer.addingReportingOverflow(slotFloats)
            overflow = overflow || o1 || o2
            perLayer = sum
        }
        let (total, o3) = perLayer.multipliedReportingOverflow(by: configuration.layerCount)
        guard !overflow, !o3, total <= 1 << 31 else {
            throw ModelError.invalidInput("a KV cache of \(capacities.count) slots x up to \(capacities.max() ?? 0) tokens needs too much memory for this model; lower the batch size or the maximum length")
        }
        layerCount = configuration.layerCount
        slotCount = capacities.count
        rowWidth = width
        kvHeads = configuration.keyValueHeads
        headDim = configuration.headDimension
        self.capacities = capacities
        storedCapacities = stored
        slotOffsets = offsets
        layerStride = perLayer
        // Zeroed, so the unused lanes of a partial key block are finite numbers.
        keys = LargeBuffer.allocate(count: total)
        values = LargeBuffer.allocate(count: total)
        lengths = [Int](repeating: 0, count: capacities.count)
        sources = [(slot: Int, blocks: Int)?](repeating: nil, count: capacities.count)
        sharers = [Int](repeating: 0, count: capacities.count)
    }

    deinit {
        LargeBuffer.deallocate(keys, count: layerCount * layerStride)
        LargeBuffer.deallocate(values, count: layerCount * layerStride)
    }

    /// Bytes held by the cache.
    public var byteCount: Int { 2 * layerCount * layerStride * MemoryLayout<Float>.stride }

    /// The largest number of tokens a slot can hold.
    public var capacity: Int { capacities.max() ?? 0 }

    /// Most tokens `slot` can hold.
    public func capacity(of slot: Int) -> Int {
        precondition(slot >= 0 && slot < slotCount, "KVCache slot \(slot) out of range 0..<\(slotCount)")
        return capacities[slot]
    }

    /// Number of tokens cached in `slot`.
    public func length(of slot: Int) -> Int {
        precondition(slot >= 0 && slot < slotCount, "KVCache slot \(slot) out of range 0..<\(slotCount)")
        return lengths[slot]
    }

    /// How many slots currently read `slot`'s rows through `sharePrefix`.
    public func sharerCount(of slot: Int) -> Int {
        precondition(slot >= 0 && slot < slotCount, "KVCache slot \(slot) out of range 0..<\(slotCount)")
        return sharers[slot]
    }

    /// Empties `slot` so a new sequence can use it (and stops it sharing another slot's rows).
    /// A slot whose rows other slots still share cannot be reset: reset those first.
    public func reset(slot: Int) {
        precondition(slot >= 0 && slot < slotCount, "KVCache slot \(slot) out of range 0..<\(slotCount)")
        precondition(sharers[slot] == 0, "KVCache.reset: \(sharers[slot]) slots still share the rows of slot \(slot); reset them first")
        release(slot)
        lengths[slot] = 0
    }

    /// Makes `destination` hold the first `length` tokens of `source` (all of them when nil):
    /// the cached keys and values are copied, so both slots then grow independently.
    public func copyPrefix(from source: Int, to destination: Int, length: Int? = nil) {
        let count = checkPrefix(source: source, destination: destination, length: length)
        guard source != destination else {
            precondition(count == lengths[source] || sharers[source] == 0, "KVCache.copyPrefix: cannot shorten slot \(source) while it is shared")
            lengths[destination] = count
            return
        }
        precondition(sharers[destination] == 0, "KVCache.copyPrefix: slot \(destination) is shared by other slots; reset them first")
        release(destination)
        copyRows(0..<count, from: source, to: destination)
        lengths[destination] = count
    }

    /// Makes `destination` hold the first `length` tokens of `source` (all of them when nil) by
    /// reading `source`'s rows in place: only the rows of a partial last block of 8 are copied.
    /// `destination` then grows on its own; `source` may grow too (its later rows are not
    /// shared), but it cannot be reset while `destination` shares it.
    public func sharePrefix(from source: Int, to destination: Int, length: Int? = nil) {
        let count = checkPrefix(source: source, destination: destination, length: length)
        precondition(source != destination, "KVCache.sharePrefix: a slot cannot share its own rows")
        precondition(sharers[destination] == 0, "KVCache.sharePrefix: slot \(destination) is shared by other slots; reset them first")
        release(destination)
        // A source that shares rows itself only holds its rows after those: share its source's
        // blocks (a slot others share is never a sharer) and copy the rest.
        var root = source, blocks = count / KVCache.blockSize
        if let upstream = sources[source] {
            root = upstream.slot
            blocks = min(blocks, upstream.blocks)
        }
        if blocks > 0 {
            sources[destination] = (root, blocks)
            sharers[root] += 1
        }
        copyRows((blocks * KVCache.blockSize)..<count, from: source, to: destination)
        lengths[destination] = count
    }

    private func checkPrefix(source: Int, destination: Int, length: Int?) -> Int {
        precondition(source >= 0 && source < slotCount && destination >= 0 && destination < slotCount,
                     "KVCache prefix: slots \(source), \(destination) out of range 0..<\(slotCount)")
        let count = length ?? lengths[source]
        precondition(count >= 0 && count <= lengths[source], "KVCache prefix: slot \(source) holds \(lengths[source]) tokens, not \(count)")
        precondition(count <= capacities[destination], "KVCache prefix: slot \(destination) holds at most \(capacities[destination]) tokens, not \(count)")
        return count
    }

    /// Stops `slot` reading another slot's rows.
    private func release(_ slot: Int) {
        if let source = sources[slot] {
            sharers[source.slot] -= 1
            sources[slot] = nil
        }
    }

    /// Copies the cached rows (keys and values) of `positions`, as `source` reads them, into
    /// `destination`'s own storage, at every layer and head.
    private func copyRows(_ positions: Range<Int>, from source: Int, to destination: Int) {
        guard !positions.isEmpty else { return }
        let d = headDim
        for layer in 0..<layerCount {
            for head in 0..<kvHeads {
                let from = rows(layer: layer, slot: source, head: head)
                let keysTo = ownKeys(layer: layer, slot: destination, head: head)
                let valuesTo = ownValues(layer: layer, slot: destination, head: head)
                for position in positions {
                    let keyFrom = from.keyBlock(position / KVCache.blockSize) + position % KVCache.blockSize
                    let keyTo = keysTo + (position / KVCache.blockSize) * KVCache.blockSize * d + position % KVCache.blockSize
                    for i in 0..<d { keyTo[i * KVCache.blockSize] = keyFrom[i * KVCache.blockSize] }
                    (valuesTo + position * d).update(from: from.valueRow(position), count: d)
                }
            }
        }
    }

    // MARK: - Storage access (decode pass)

    /// The start of `slot`'s own storage for `head` at `layer` (keys or values: the same offset).
    @inline(__always)
    private func headOffset(layer: Int, slot: Int, head: Int) -> Int {
        layer * layerStride + slotOffsets[slot] + head * storedCapacities[slot] * headDim
    }

    /// `slot`'s own key blocks for `head` at `layer`.
    @inline(__always)
    func ownKeys(layer: Int, slot: Int, head: Int) -> UnsafeMutablePointer<Float> {
        keys + headOffset(layer: layer, slot: slot, head: head)
    }

    /// `slot`'s own value rows for `head` at `layer`.
    @inline(__always)
    func ownValues(layer: Int, slot: Int, head: Int) -> UnsafeMutablePointer<Float> {
        values + headOffset(layer: layer, slot: slot, head: head)
    }

    /// Where `slot`'s rows of `head` at `layer` live: the shared source's storage for the first
    /// `sharedRows` positions (a multiple of 8), its own storage after them.
    struct HeadRows {
        let sharedKeys: UnsafePointer<Float>, sharedValues: UnsafePointer<Float>
        let keys: UnsafePointer<Float>, values: UnsafePointer<Float>
        let sharedRows: Int
        let headDim: Int

        /// The key block `block` (8 positions, `[headDim][8]`).
        @inline(__always)
        func keyBlock(_ block: Int) -> UnsafePointer<Float> {
            (block * KVCache.blockSize < sharedRows ? sharedKeys : keys) + block * KVCache.blockSize * headDim
        }

        /// The value row of `position`.
        @inline(__always)
        func valueRow(_ position: Int) -> UnsafePointer<Float> {
            (position < sharedRows ? sharedValues : values) + position * headDim
        }
    }

    /// The rows `slot` reads for `head` at `layer` (the one place that resolves sharing).
    func rows(layer: Int, slot: Int, head: Int) -> HeadRows {
        let ownK = UnsafePointer(ownKeys(layer: layer, slot: slot, head: head))
        let ownV = UnsafePointer(ownValues(layer: layer, slot: slot, head: head))
        guard let source = sources[slot] else {
            return HeadRows(sharedKeys: ownK, sharedValues: ownV, keys: ownK, values: ownV, sharedRows: 0, headDim: headDim)
        }
        return HeadRows(sharedKeys: UnsafePointer(ownKeys(layer: layer, slot: source.slot, head: head)),
                        sharedValues: UnsafePointer(ownValues(layer: layer, slot: source.slot, head: head)),
                        keys: ownK, values: ownV, sharedRows: source.blocks * KVCache.blockSize, headDim: headDim)
    }

    /// Writes the key and value rows (`kvHeads * headDim` floats each) of `position` in `slot`'s
    /// own storage at `layer`.
    func store(layer: Int, slot: Int, position: Int, key: UnsafePointer<Float>, value: UnsafePointer<Float>) {
        let d = headDim, lane = position % KVCache.blockSize
        for head in 0..<kvHeads {
            let block = ownKeys(layer: layer, slot: slot, head: head) + (position / KVCache.blockSize) * KVCache.blockSize * d + lane
            let source = key + head * d
            for i in 0..<d { block[i * KVCache.blockSize] = source[i] }
            (ownValues(layer: layer, slot: slot, head: head) + position * d).update(from: value + head * d, count: d)
        }
    }

    /// Records that `count` more tokens of `slot` are cached (after the decode pass wrote them).
    func advance(slot: Int, by count: Int) {
        lengths[slot] += count
    }
}
