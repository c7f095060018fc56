/// Header entry of one tensor in a safetensors file.
public struct SafetensorsTensorInfo: Sendable, Equatable {
    /// Tensor name as stored.
    public let name: String
    /// Element type.
    public let dtype: SafetensorsDType
    /// Shape, outermost dimension first (row-major).
    public let shape: [Int]
    /// Byte range relative to the start of the data section (after the header).
    public let dataOffsets: Range<Int>

    /// Creates an entry (validation happens in `SafetensorsFile`).
    public init(name: String, dtype: SafetensorsDType, shape: [Int], dataOffsets: Range<Int>) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.dataOffsets = dataOffsets
    }

    /// Number of elements (product of the shape; 1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }
}
