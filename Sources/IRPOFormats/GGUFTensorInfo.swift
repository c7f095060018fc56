/// Entry of the GGUF tensor table.
public struct GGUFTensorInfo: Sendable, Equatable {
    /// Tensor name as stored (llama.cpp names, e.g. "blk.0.attn_q.weight").
    public let name: String
    /// Dimensions in GGUF order: `ne0` (the contiguous, fastest-varying one) first.
    public let dimensions: [Int]
    /// Element type.
    public let type: GGMLType
    /// Byte offset relative to the start of the data section.
    public let offset: Int

    /// Creates an entry (validation happens in `GGUFFile`).
    public init(name: String, dimensions: [Int], type: GGMLType, offset: Int) {
        self.name = name
        self.dimensions = dimensions
        self.type = type
        self.offset = offset
    }

    /// Number of elements (product of the dimensions).
    public var elementCount: Int { dimensions.reduce(1, *) }

    /// Stored size in bytes.
    public var byteCount: Int {
        let layout = type.blockLayout
        return elementCount / layout.elements * layout.bytes
    }

    /// Shape in row-major order (outermost first), as PyTorch and safetensors write it.
    public var rowMajorShape: [Int] { dimensions.reversed() }
}
