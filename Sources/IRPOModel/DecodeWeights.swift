import IRPOTensor

/// A model's linear weights (and output embedding) packed for the batch-invariant decode kernel
/// (`InvariantMatmul`'s panels), so decode steps do not repack them every step.
///
/// A snapshot: it holds a copy of the weights as they were when it was made, about the size of
/// the model's linear layers in extra memory. Make a new one after the weights change.
/// `LlamaModel.decode(_:cache:rows:matmul:packedWeights:into:)` gives the same logits, bit for
/// bit, with or without it.
public final class DecodeWeights: @unchecked Sendable {
    /// The kinds packed: every linear weight of a layer, plus the output embedding.
    static let layerKinds: [ParameterKind] = [.queryWeight, .keyWeight, .valueWeight, .outputWeight, .gateWeight, .upWeight, .downWeight]

    /// The model the weights were packed from.
    let modelIdentifier: ObjectIdentifier
    private let storage: UnsafeMutablePointer<Float>
    private let totalCount: Int
    /// Offsets into `storage`, `[layer][kind index]`.
    private let layerOffsets: [[Int]]
    private let headOffset: Int

    /// Packs `model`'s current weights.
    public init(model: LlamaModel) {
        let c = model.configuration
        modelIdentifier = ObjectIdentifier(model)
        var offset = 0
        var jobs: [(source: UnsafePointer<Float>, outputs: Int, inner: Int, offset: Int)] = []
        var layers: [[Int]] = []
        for layer in 0..<c.layerCount {
            var row: [Int] = []
            for kind in Self.layerKinds {
                let shape = kind.shape(in: c)
                jobs.append((UnsafePointer(model.parameters.pointer(kind, layer: layer)), shape[0], shape[1], offset))
                row.append(offset)
                offset += InvariantMatmul.packedCount(outputs: shape[0], inner: shape[1])
            }
            layers.append(row)
        }
        headOffset = offset
        jobs.append((UnsafePointer(model.parameters.pointer(model.layout.outputEmbeddingKind)), c.vocabularySize, c.hiddenSize, offset))
        offset += InvariantMatmul.packedCount(outputs: c.vocabularySize, inner: c.hiddenSize)
        layerOffsets = layers
        totalCount = offset
        storage = .allocate(capacity: max(1, offset))
        let base = SendablePointer(storage)
        let work = jobs.map { (SendablePointer(UnsafeMutablePointer(mutating: $0.source)), $0.outputs, $0.inner, $0.offset) }
        Parallel.forEach(count: work.count) { index in
            let (source, outputs, inner, start) = work[index]
            InvariantMatmul.pack(UnsafePointer(source.pointer), outputs: outputs, inner: inner, into: base.pointer + start)
        }
    }

    deinit { storage.deallocate() }

    /// Bytes held.
    public var byteCount: Int { totalCount * MemoryLayout<Float>.stride }

    /// The packed form of `kind` in `layer` (a linear weight kind).
    func pointer(_ kind: ParameterKind, layer: Int) -> UnsafePointer<Float> {
        guard let index = Self.layerKinds.firstIndex(of: kind) else {
            preconditionFailure("DecodeWeights packs no \(kind) tensor")
        }
        return UnsafePointer(storage + layerOffsets[layer][index])
    }

    /// The packed output embedding (LM head).
    var head: UnsafePointer<Float> { UnsafePointer(storage + headOffset) }
}
