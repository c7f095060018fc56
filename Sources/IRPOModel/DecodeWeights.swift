import IRPOFormats
import IRPOTensor

/// A model's linear weights (and output embedding) packed for the batch-invariant decode kernel
/// (`InvariantMatmul`'s panels), so decode steps do not repack them every step.
///
/// A snapshot: it holds a copy of the weights as they were when it was made, about the size of
/// the model's linear layers in extra memory (a quarter of it as `.q8_0`). Make a new one after
/// the weights change. With `.f32`, `LlamaModel.decode(_:cache:rows:matmul:packedWeights:into:)`
/// gives the same logits, bit for bit, with or without it; with `.q8_0` it gives the logits of
/// the model with its linear weights (and output embedding) quantised to Q8_0 and back.
/// Unchecked Sendable: the packed weights are written in init only, then only read.
public final class DecodeWeights: @unchecked Sendable {
    /// The kinds packed: every linear weight of a layer, plus the output embedding.
    static let layerKinds: [ParameterKind] = [.queryWeight, .keyWeight, .valueWeight, .outputWeight, .gateWeight, .upWeight, .downWeight]

    /// The model the weights were packed from.
    let modelIdentifier: ObjectIdentifier
    /// The format asked for.
    public let format: DecodeWeightFormat
    /// How many weights are held as Q8_0 (0 with `.f32`).
    public let quantisedWeightCount: Int
    private let storage: UnsafeMutableRawPointer
    private let totalBytes: Int
    /// Each weight, `[layer][kind index]`.
    private let layerWeights: [[PackedWeight]]
    private let headWeight: PackedWeight

    /// Packs `model`'s current weights in `format` (single precision by default). A weight that
    /// cannot be quantised (a value that is not finite, or rows that are not whole 32-weight
    /// blocks) stays f32; `quantisedWeightCount` says how many were quantised.
    public init(model: LlamaModel, format: DecodeWeightFormat = .f32) {
        precondition(model.frozenProjections == nil, "decoding needs float weights; decode from model.dequantized()")
        let c = model.configuration
        modelIdentifier = ObjectIdentifier(model)
        self.format = format
        var offset = 0
        var jobs: [(kind: ParameterKind, layer: Int, outputs: Int, inner: Int, offset: Int, format: DecodeWeightFormat)] = []
        func add(_ kind: ParameterKind, layer: Int, outputs: Int, inner: Int) -> (offset: Int, format: DecodeWeightFormat) {
            var weightFormat = PackedWeight.format(inner: inner, requested: format)
            if weightFormat == .q8_0,
               !UnsafeBufferPointer(start: model.parameters.pointer(kind, layer: layer), count: outputs * inner).allSatisfy(\.isFinite) {
                weightFormat = .f32
            }
            jobs.append((kind, layer, outputs, inner, offset, weightFormat))
            defer {
                // 64-byte aligned starts for every weight.
                offset += (PackedWeight.byteCount(outputs: outputs, inner: inner, format: weightFormat) + 63) / 64 * 64
            }
            return (offset, weightFormat)
        }
        let layerPlacements = (0..<c.layerCount).map { layer in
            Self.layerKinds.map { kind in
                let shape = kind.shape(in: c)
                return add(kind, layer: layer, outputs: shape[0], inner: shape[1])
            }
        }
        let headPlacement = add(model.layout.outputEmbeddingKind, layer: 0, outputs: c.vocabularySize, inner: c.hiddenSize)
        totalBytes = offset
        storage = .allocate(byteCount: max(64, offset), alignment: 64)
        let base = storage, work = jobs
        layerWeights = layerPlacements.map { $0.map { PackedWeight(base: UnsafeRawPointer(base + $0.offset), format: $0.format) } }
        headWeight = PackedWeight(base: UnsafeRawPointer(base + headPlacement.offset), format: headPlacement.format)
        quantisedWeightCount = jobs.filter { $0.format == .q8_0 }.count
        Parallel.forEach(count: work.count) { index in
            let job = work[index]
            let source = UnsafePointer(model.parameters.pointer(job.kind, layer: job.layer))
            switch job.format {
            case .f32:
                InvariantMatmul.pack(source, outputs: job.outputs, inner: job.inner,
                                     into: (base + job.offset).assumingMemoryBound(to: Float.self))
            case .q8_0:
                InvariantMatmul.packQ8_0(source, outputs: job.outputs, inner: job.inner, into: base + job.offset)
            }
        }
    }

    deinit { storage.deallocate() }

    /// Bytes held.
    public var byteCount: Int { totalBytes }

    /// The packed form of the weight `kind` of `layer`: a linear weight, or the output embedding
    /// (`.embedding` or `.lmHead`).
    func weight(_ kind: ParameterKind, layer: Int) -> PackedWeight {
        if kind == .embedding || kind == .lmHead { return headWeight }
        guard let index = Self.layerKinds.firstIndex(of: kind) else {
            preconditionFailure("DecodeWeights packs no \(kind) tensor")
        }
        return layerWeights[layer][index]
    }
}
