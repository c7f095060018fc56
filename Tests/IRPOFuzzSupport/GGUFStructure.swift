import Foundation
import IRPOFormats

/// A GGUF file as editable parts (metadata in order, tensor table, data section) that
/// `bytes()` writes back exactly as given, including inconsistent counts, offsets and shapes, so
/// the fuzz tests can mutate the structure instead of random bytes.
public struct GGUFStructure: Sendable {
    /// One tensor-table entry, with raw fields.
    public struct TensorEntry: Sendable {
        public var name: String
        public var dimensions: [UInt64]
        public var type: UInt32
        public var offset: UInt64
    }

    public var version: UInt32 = 3
    public var metadata: [(key: String, value: GGUFValue)]
    public var tensors: [TensorEntry]
    /// The data section (tensor offsets are relative to its start).
    public var data: [UInt8]
    /// Overrides of the declared counts (nil: the true counts).
    public var declaredKeyCount: UInt64?, declaredTensorCount: UInt64?
    /// Padding before the data section (GGUF's default alignment is 32).
    public var alignment = 32

    /// The parts of the GGUF file at `url`.
    public init(contentsOf url: URL) throws {
        let file = try GGUFFile(contentsOf: url)
        let bytes = [UInt8](try Data(contentsOf: url))
        metadata = file.metadataKeys.compactMap { key in file.metadata[key].map { (key, $0) } }
        tensors = file.tensors.map { TensorEntry(name: $0.name, dimensions: $0.dimensions.map { UInt64($0) },
                                                 type: $0.type.rawValue, offset: UInt64($0.offset)) }
        data = Array(bytes[file.dataOffset...])
        alignment = file.alignment
    }

    /// The file's bytes.
    public func bytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + 4096)
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { out += $0 } }
        func put(_ text: String) {
            put(UInt64(text.utf8.count))
            out += Array(text.utf8)
        }
        func put(_ value: GGUFValue) {
            switch value {
            case let .uint8(v): put(v)
            case let .int8(v): put(v)
            case let .uint16(v): put(v)
            case let .int16(v): put(v)
            case let .uint32(v): put(v)
            case let .int32(v): put(v)
            case let .float32(v): put(v.bitPattern)
            case let .bool(v): put(UInt8(v ? 1 : 0))
            case let .string(v): put(v)
            case let .uint64(v): put(v)
            case let .int64(v): put(v)
            case let .float64(v): put(v.bitPattern)
            case let .array(elements):
                put(elements.first?.typeCode ?? 0)
                put(UInt64(elements.count))
                for element in elements { put(element) }
            }
        }
        put(UInt32(0x4655_4747))
        put(version)
        put(declaredTensorCount ?? UInt64(tensors.count))
        put(declaredKeyCount ?? UInt64(metadata.count))
        for (key, value) in metadata {
            put(key)
            put(value.typeCode)
            put(value)
        }
        for tensor in tensors {
            put(tensor.name)
            put(UInt32(truncatingIfNeeded: tensor.dimensions.count))
            for dimension in tensor.dimensions { put(dimension) }
            put(tensor.type)
            put(tensor.offset)
        }
        let step = max(1, alignment)
        while out.count % step != 0 { out.append(0) }
        return out + data
    }
}
