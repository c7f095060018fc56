import Foundation
import IRPOTensor

/// One `.safetensors` file, memory-mapped; the header is fully validated at init.
///
/// Layout: an 8-byte little-endian header length N, N bytes of JSON (a map from tensor name to
/// `{"dtype", "shape", "data_offsets"}` plus an optional `"__metadata__"` string map), then the data
/// section, which tensor offsets are relative to.
public final class SafetensorsFile: Sendable {
    /// The file that was opened.
    public let url: URL
    /// The `"__metadata__"` string map (empty when absent).
    public let metadata: [String: String]
    /// Tensor names in data-offset order.
    public let tensorNames: [String]

    let mapping: MappedFile
    let entries: [String: SafetensorsTensorInfo]
    /// Byte offset of the data section in the file.
    let dataStart: Int

    /// Maps the file at `url` and validates its header; throws `FormatError` naming the file and the fault.
    public init(contentsOf url: URL) throws {
        self.url = url
        let mapping = try MappedFile(url: url)
        self.mapping = mapping
        let header = try SafetensorsHeader.parse(mapping.bytes, url: url)
        self.metadata = header.metadata
        self.dataStart = header.dataStart
        var entries: [String: SafetensorsTensorInfo] = [:]
        for info in header.tensors { entries[info.name] = info }
        self.entries = entries
        self.tensorNames = header.tensors.map(\.name)
    }

    /// Header entry for `name`, or nil when the file has no such tensor.
    public func info(_ name: String) -> SafetensorsTensorInfo? { entries[name] }

    /// The values of a floating-point tensor (F32/F16/BF16/F64) converted to `Float`.
    public func floats(_ name: String) throws -> [Float] {
        let info = try requireInfo(name)
        let count = info.elementCount
        return try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            try readFloats(name, into: buffer)
            initialized = count
        }
    }

    /// Converts a floating-point tensor into `destination`, whose count must equal the element count.
    public func readFloats(_ name: String, into destination: UnsafeMutableBufferPointer<Float>) throws {
        let info = try requireInfo(name)
        let count = info.elementCount
        guard destination.count == count else {
            throw FormatError(url: url, "tensor '\(name)' has \(count) elements but the destination holds \(destination.count); pass a buffer of the tensor's size")
        }
        guard count > 0, let output = destination.baseAddress, let base = mapping.bytes.baseAddress else { return }
        let source = base + dataStart + info.dataOffsets.lowerBound
        let convert: (UnsafeRawPointer, Int, UnsafeMutablePointer<Float>) -> Void
        switch info.dtype {
        case .f32: convert = ScalarConversion.floatToFloat
        case .f16: convert = ScalarConversion.halfToFloat
        case .bf16: convert = ScalarConversion.bfloat16ToFloat
        case .f64: convert = ScalarConversion.doubleToFloat
        default:
            throw FormatError(url: url, "tensor '\(name)' has dtype \(info.dtype.rawValue), not a floating-point type; read it with integers(_:)")
        }
        let size = info.dtype.byteSize
        let chunkCount = (count + 8191) / 8192
        Parallel.forEachChunk(count: chunkCount, minimumChunk: 64) { chunks in
            let start = chunks.lowerBound * 8192
            let end = min(count, chunks.upperBound * 8192)
            convert(source + start * size, end - start, output + start)
        }
    }

    /// The values of an integer or boolean tensor (I64/I32/I16/I8/U8/BOOL) as `Int`.
    public func integers(_ name: String) throws -> [Int] {
        let info = try requireInfo(name)
        let count = info.elementCount
        guard count > 0, let base = mapping.bytes.baseAddress else { return [] }
        let source = base + dataStart + info.dataOffsets.lowerBound
        switch info.dtype {
        case .i64: return (0..<count).map { Int((source + 8 * $0).loadUnaligned(as: Int64.self)) }
        case .i32: return (0..<count).map { Int((source + 4 * $0).loadUnaligned(as: Int32.self)) }
        case .i16: return (0..<count).map { Int((source + 2 * $0).loadUnaligned(as: Int16.self)) }
        case .i8: return (0..<count).map { Int(source.load(fromByteOffset: $0, as: Int8.self)) }
        case .u8, .bool: return (0..<count).map { Int(source.load(fromByteOffset: $0, as: UInt8.self)) }
        default:
            throw FormatError(url: url, "tensor '\(name)' has dtype \(info.dtype.rawValue), not an integer type; read it with floats(_:)")
        }
    }

    /// Calls `body` with the stored bytes of tensor `name` (valid only during the call).
    public func withRawBytes<Result>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> Result) throws -> Result {
        let info = try requireInfo(name)
        guard let base = mapping.bytes.baseAddress else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: base + dataStart + info.dataOffsets.lowerBound, count: info.dataOffsets.count))
    }

    func requireInfo(_ name: String) throws -> SafetensorsTensorInfo {
        guard let info = entries[name] else {
            let sample = tensorNames.prefix(5).joined(separator: ", ")
            throw FormatError(url: url, "has no tensor named '\(name)' (it has \(tensorNames.count) tensors, e.g. \(sample)); check the tensor name")
        }
        return info
    }
}
