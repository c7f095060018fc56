/// Where each parameter tensor lives in one flat `Float` buffer.
///
/// Derived from `ParameterKind` and a configuration: global tensors first (embedding), then
/// layer by layer in `ParameterKind` order, then the final norm and the untied LM head.
/// Parameters, gradients and optimizer moments all use the same layout.
public struct ParameterLayout: Equatable, Sendable {
    /// One tensor in the layout.
    public struct Entry: Equatable, Sendable {
        /// What the tensor is.
        public let kind: ParameterKind
        /// Its decoder layer (0 for global kinds).
        public let layer: Int
        /// Its shape.
        public let shape: [Int]
        /// Offset of its first element in the flat buffer.
        public let offset: Int
        /// Number of elements.
        public var count: Int { shape.reduce(1, *) }
        /// Its Hugging Face name.
        public var huggingFaceName: String { kind.huggingFaceName(layer: layer) }
    }

    /// All tensors in storage order.
    public let entries: [Entry]
    /// Total number of floats.
    public let totalCount: Int
    private let layerCount: Int
    /// Index into `entries` by `kind.rawValue * layerCount + layer`; -1 if absent.
    private let index: [Int]

    /// The layout of a model with `configuration`; tensors of the kinds in `omitting` are left
    /// out (a frozen base keeps its projections elsewhere, see `FrozenProjections`).
    public init(configuration: LlamaConfiguration, omitting: Set<ParameterKind> = []) {
        let layers = configuration.layerCount
        var entries: [Entry] = []
        var index = [Int](repeating: -1, count: ParameterKind.allCases.count * max(1, layers))
        var offset = 0
        func add(_ kind: ParameterKind, _ layer: Int) {
            guard kind.isPresent(in: configuration), !omitting.contains(kind) else { return }
            let shape = kind.shape(in: configuration)
            index[kind.rawValue * max(1, layers) + layer] = entries.count
            entries.append(Entry(kind: kind, layer: layer, shape: shape, offset: offset))
            offset += shape.reduce(1, *)
        }
        add(.embedding, 0)
        for layer in 0..<layers {
            for kind in ParameterKind.allCases where kind.isPerLayer { add(kind, layer) }
        }
        add(.finalNorm, 0)
        add(.lmHead, 0)
        self.entries = entries
        self.totalCount = offset
        self.layerCount = max(1, layers)
        self.index = index
    }

    /// The entry of `kind` in `layer`, or nil if the configuration has no such tensor.
    public func entry(_ kind: ParameterKind, layer: Int = 0) -> Entry? {
        precondition(layer >= 0 && layer < layerCount, "layer \(layer) out of range")
        let position = index[kind.rawValue * layerCount + layer]
        return position < 0 ? nil : entries[position]
    }

    /// The offset of `kind` in `layer`; the tensor must exist (programmer error otherwise).
    public func offset(_ kind: ParameterKind, layer: Int = 0) -> Int {
        guard let entry = entry(kind, layer: layer) else {
            preconditionFailure("this model has no \(kind) tensor in layer \(layer)")
        }
        return entry.offset
    }

    /// The tensor that serves as LM head: `lmHead` if untied, else the embedding.
    public var outputEmbeddingKind: ParameterKind { entry(.lmHead) == nil ? .embedding : .lmHead }
}
