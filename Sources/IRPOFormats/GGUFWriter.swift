import Foundation

/// Writes GGUF v3 files: metadata of every value type and F32, F16, Q8_0 or Q4_0 tensors,
/// aligned, atomically.
public enum GGUFWriter {
    /// One tensor to write. `values` must stay valid until `write` returns.
    public struct Tensor {
        /// Tensor name (unique).
        public let name: String
        /// Dimensions in GGUF order, `ne0` (contiguous) first; the product must equal `values.count`.
        public let dimensions: [Int]
        /// Stored type: `.f32`, `.f16` (round to nearest even), or a `GGUFQuantizer` type
        /// (`.q8_0`, `.q4_0`; `ne0` must be a multiple of 32).
        public let type: GGMLType
        /// Values, `ne0` fastest.
        public let values: UnsafeBufferPointer<Float>

        /// Creates a tensor description; no copy is made.
        public init(name: String, dimensions: [Int], type: GGMLType = .f32, values: UnsafeBufferPointer<Float>) {
            self.name = name
            self.dimensions = dimensions
            self.type = type
            self.values = values
        }
    }

    /// Writes `metadata` (in order) and `tensors` to `url` atomically (temp file + rename).
    ///
    /// The alignment is `general.alignment` when present in `metadata` (a UINT32 power of two), else 32.
    /// Arrays must be homogeneous (all elements of one value type).
    public static func write(metadata: [(key: String, value: GGUFValue)], tensors: [Tensor], to url: URL) throws {
        var alignment = 32
        var keys = Set<String>()
        for (key, value) in metadata {
            guard keys.insert(key).inserted else {
                throw FormatError(url: url, "metadata key '\(key)' given twice; pass each key once")
            }
            if key == "general.alignment" {
                guard case .uint32(let raw) = value, raw > 0, raw & (raw - 1) == 0 else {
                    throw FormatError(url: url, "metadata 'general.alignment' must be a UINT32 power of two, got \(value); fix the value")
                }
                alignment = Int(raw)
            }
        }
        var header = ByteBuffer()
        header.append(UInt32(0x4655_4747))
        header.append(UInt32(3))
        header.append(UInt64(tensors.count))
        header.append(UInt64(metadata.count))
        for (key, value) in metadata {
            header.append(string: key)
            header.append(value.typeCode)
            try append(value, to: &header, key: key, url: url)
        }
        var names = Set<String>()
        var offsets: [Int] = []
        var offset = 0
        for tensor in tensors {
            guard names.insert(tensor.name).inserted else {
                throw FormatError(url: url, "tensor name '\(tensor.name)' is used twice; give every tensor a unique name")
            }
            guard tensor.type == .f32 || tensor.type == .f16 || GGUFQuantizer.supports(tensor.type) else {
                throw FormatError(url: url, "tensor '\(tensor.name)': cannot write type \(tensor.type.name); use F32, F16, Q8_0 or Q4_0")
            }
            guard (1...GGUFHeaderParser.maximumDimensions).contains(tensor.dimensions.count), tensor.dimensions.allSatisfy({ $0 >= 0 }),
                  tensor.dimensions.reduce(1, *) == tensor.values.count else {
                throw FormatError(url: url, "tensor '\(tensor.name)' has dimensions \(tensor.dimensions) but \(tensor.values.count) values (1 to 4 dimensions, ne0 first); pass matching dimensions")
            }
            guard let bytes = storedBytes(tensor) else {
                throw FormatError(url: url, "tensor '\(tensor.name)': its rows of \(tensor.dimensions[0]) values are not whole \(tensor.type.blockLayout.elements)-value \(tensor.type.name) blocks; store it as F16 or F32")
            }
            header.append(string: tensor.name)
            header.append(UInt32(tensor.dimensions.count))
            for dimension in tensor.dimensions { header.append(UInt64(dimension)) }
            header.append(tensor.type.rawValue)
            header.append(UInt64(offset))
            offsets.append(offset)
            offset = padded(offset + bytes, alignment)
        }
        header.pad(to: alignment)
        try AtomicFileWriter.write(to: url) { sink in
            try header.bytes.withUnsafeBytes { try sink($0) }
            var written = 0
            for (tensor, start) in zip(tensors, offsets) {
                let zeros = [UInt8](repeating: 0, count: start - written)
                try zeros.withUnsafeBytes { try sink($0) }
                written = start
                if tensor.type == .f32 {
                    try sink(UnsafeRawBufferPointer(tensor.values))
                } else if GGUFQuantizer.supports(tensor.type) {
                    var blocks = [UInt8](repeating: 0, count: storedBytes(tensor) ?? 0)
                    do {
                        try blocks.withUnsafeMutableBytes { try GGUFQuantizer.quantize(tensor.values, as: tensor.type, into: $0) }
                    } catch let error as QuantizationError {
                        throw FormatError(url: url, "tensor '\(tensor.name)': \(error.description)")
                    }
                    try blocks.withUnsafeBytes { try sink($0) }
                } else if let source = tensor.values.baseAddress {
                    var halves = [UInt8](repeating: 0, count: 2 * tensor.values.count)
                    halves.withUnsafeMutableBytes { raw in
                        if let destination = raw.baseAddress { ScalarConversion.floatToHalf(source, count: tensor.values.count, into: destination) }
                    }
                    try halves.withUnsafeBytes { try sink($0) }
                }
                written += storedBytes(tensor) ?? 0
            }
            let tail = [UInt8](repeating: 0, count: padded(written, alignment) - written)
            try tail.withUnsafeBytes { try sink($0) }
        }
    }

    /// The stored size of `tensor`, or nil when its rows are not whole blocks of its type.
    private static func storedBytes(_ tensor: Tensor) -> Int? {
        let rowLength = tensor.dimensions.first ?? 0
        guard rowLength % tensor.type.blockLayout.elements == 0 else { return nil }
        return GGUFQuantizer.byteCount(of: tensor.values.count, as: tensor.type)
    }

    private static func padded(_ value: Int, _ alignment: Int) -> Int {
        (value + alignment - 1) / alignment * alignment
    }

    private static func append(_ value: GGUFValue, to buffer: inout ByteBuffer, key: String, url: URL) throws {
        switch value {
        case .uint8(let v): buffer.append(v)
        case .int8(let v): buffer.append(v)
        case .uint16(let v): buffer.append(v)
        case .int16(let v): buffer.append(v)
        case .uint32(let v): buffer.append(v)
        case .int32(let v): buffer.append(v)
        case .float32(let v): buffer.append(v.bitPattern)
        case .bool(let v): buffer.append(UInt8(v ? 1 : 0))
        case .string(let v): buffer.append(string: v)
        case .uint64(let v): buffer.append(v)
        case .int64(let v): buffer.append(v)
        case .float64(let v): buffer.append(v.bitPattern)
        case .array(let elements):
            let elementType = elements.first?.typeCode ?? 0
            guard elements.allSatisfy({ $0.typeCode == elementType }) else {
                throw FormatError(url: url, "metadata '\(key)' is an array mixing value types; GGUF arrays hold one type")
            }
            buffer.append(elementType)
            buffer.append(UInt64(elements.count))
            for element in elements { try append(element, to: &buffer, key: key, url: url) }
        }
    }
}
