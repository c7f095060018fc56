import IRPOTensor

/// A model's linear weights (and output embedding) packed for the batch-invariant decode kernel
/// (`InvariantMatmul`'s panels), so decode steps do not repack them every step.
///
/// A snapshot: it holds a copy of the weights as they were when it was made, about the size of
/// the model's linear layers in extra memory. Make a new one after the weights change.
/// `LlamaModel.decode(_:cache:rows:matmul:packedWeights:into:)` gives the same logits, bit for
/// bit, with or without it.
/// Unchecked Sendable: the packed weights are written in init only, then only read.
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
        precondition(model.frozenProjections == nil, "decoding needs float weights; decode from model.dequantized()")
        let c = model.configuration
        modelIdentifier = ObjectIdentifier(model)
        var offset = 0
        var jobs: [(source: UnsafeMutablePointer<Float>, outputs: Int, inner: Int, offset: Int)] = []
        func add(_ kind: ParameterKind, layer: Int, outputs: Int, inner: Int) -> Int {
            jobs.append((model.parameters.pointer(kind, layer: layer), outputs, inner, offset))
            defer { offset += InvariantMatmul.packedCount(outputs: outputs, inner: inner) }
            return offset
        }
        layerOffsets = (0..<c.layerCount).map { layer in
            Self.layerKinds.map { kind in
                let shape = kind.shape(in: c)
                return add(kind, layer: layer, outputs: shape[0], inner: shape[1])
            }
        }
        headOffset = add(model.layout.outputEmbeddingKind, layer: 0, outputs: c.vocabularySize, inner: c.hiddenSize)
        totalCount = offset
        storage = .allocate(capacity: max(1, offset))
        let base = storage, work = jobs
        Parallel.forEach(count: work.count) { index in
            let job = work[index]
            InvariantMatmul.pack(UnsafePointer(job.source), outputs: job.outputs, inner: job.inner, into: base + job.offset)
        }
    }

    deinit { storage.deallocate() }

    /// Bytes held.
    public var byteCount: Int { totalCount * MemoryLayout<Float>.stride }

    /// The packed form of the weight `kind` of `layer`: a linear weight, or the output embedding
    /// (`.embedding` or `.lmHead`).
    func pointer(_ kind: ParameterKind, layer: Int) -> UnsafePointer<Float> {
        if kind == .embedding || kind == .lmHead { return UnsafePointer(storage + headOffset) }
        guard let index = Self.layerKinds.firstIndex(of: kind) else {
            preconditionFailure("DecodeWeights packs no \(kind) tensor")
        }
        return UnsafePointer(storage + layerOffsets[layer][index])
    }
}
