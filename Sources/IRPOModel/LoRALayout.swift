/// Where each adapter matrix lives in one flat `Float` buffer.
///
/// Layer by layer, group by group (q/k/v, o, gate/up, down): first the `A` matrices of the
/// group's adapted projections one after another (one `[n * r, in]` matrix, applied to the
/// group's input in one product), then their `B` matrices. Weights, gradients and AdamW
/// moments of the adapters share this layout.
public struct LoRALayout: Equatable, Sendable {
    /// One adapted projection of one layer.
    public struct Adapter: Equatable, Sendable {
        /// The projection.
        public let target: LoRATarget
        /// Its decoder layer.
        public let layer: Int
        /// Offset of `A` `[rank, in]`.
        public let aOffset: Int
        /// Offset of `B` `[out, rank]`.
        public let bOffset: Int
        /// Input width (columns of `A`).
        public let inputWidth: Int
        /// Output width (rows of `B`).
        public let outputWidth: Int
        /// Position among the group's adapted projections (its rows in the stacked `A` start at `slot * rank`).
        public let slot: Int
        /// First column of this projection in the group's fused output (`k` starts after `q`, `up` after `gate`).
        public let outputColumn: Int
    }

    /// The adapted projections of one group in one layer.
    public struct Group: Equatable, Sendable {
        /// Which group.
        public let group: LoRAGroup
        /// Offset of the stacked `A` `[adapters.count * rank, inputWidth]`.
        public let aOffset: Int
        /// Input width shared by the group.
        public let inputWidth: Int
        /// Width of the group's fused base output (q+k+v, hidden, 2 * intermediate, hidden).
        public let fusedWidth: Int
        /// The adapters, in layout order.
        public let adapters: [Adapter]
        /// Rows of the stacked `A` (adapters times rank).
        public var stackedRank: Int { adapters.count * rankValue }
        let rankValue: Int
    }

    /// The adapter shapes.
    public let configuration: LoRAConfiguration
    /// Per layer, the non-empty groups in `LoRAGroup` order.
    public let layers: [[Group]]
    /// Total number of floats.
    public let totalCount: Int

    /// The layout of `lora` adapters on a model with `model`'s shapes.
    public init(model: LlamaConfiguration, lora: LoRAConfiguration) {
        let r = lora.rank
        var offset = 0
        var layers: [[Group]] = []
        for layer in 0..<model.layerCount {
            var groups: [Group] = []
            for group in LoRAGroup.allCases {
                let all = group.targets
                let adapted = all.filter { lora.adapts($0) }
                guard let first = adapted.first else { continue }
                let inputWidth = first.shape(in: model).in
                let fusedWidth = all.reduce(0) { $0 + $1.shape(in: model).out }
                let aOffset = offset
                offset += adapted.count * r * inputWidth
                var adapters: [Adapter] = []
                for (slot, target) in adapted.enumerated() {
                    let out = target.shape(in: model).out
                    let column = all.prefix { $0 != target }.reduce(0) { $0 + $1.shape(in: model).out }
                    adapters.append(Adapter(target: target, layer: layer, aOffset: aOffset + slot * r * inputWidth,
                                            bOffset: offset, inputWidth: inputWidth, outputWidth: out, slot: slot,
                                            outputColumn: column))
                    offset += out * r
                }
                groups.append(Group(group: group, aOffset: aOffset, inputWidth: inputWidth, fusedWidth: fusedWidth,
                                    adapters: adapters, rankValue: r))
            }
            layers.append(groups)
        }
        self.configuration = lora
        self.layers = layers
        self.totalCount = offset
    }

    /// The rank of every adapter.
    public var rank: Int { configuration.rank }

    /// Every adapter, layer by layer in layout order.
    public var adapters: [Adapter] { layers.flatMap { $0.flatMap(\.adapters) } }

    /// The group `group` of `layer`, if any of its projections is adapted.
    public func group(_ group: LoRAGroup, layer: Int) -> Group? {
        layers[layer].first { $0.group == group }
    }

    /// Floats the adapters of `model` with `lora` need, or nil if the count overflows `Int`.
    public static func checkedCount(model: LlamaConfiguration, lora: LoRAConfiguration) -> Int? {
        var total = 0
        for target in lora.targets {
            let shape = target.shape(in: model)
            let (perLayer, o1) = (shape.in + shape.out).multipliedReportingOverflow(by: lora.rank)
            let (all, o2) = perLayer.multipliedReportingOverflow(by: model.layerCount)
            let (sum, o3) = total.addingReportingOverflow(all)
            if o1 || o2 || o3 { return nil }
            total = sum
        }
        return total
    }
}
