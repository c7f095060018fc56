import Foundation

/// A GGUF file (versions 2 and 3, little-endian), memory-mapped; the header, metadata and tensor
/// table are validated at init (every count, length, offset and dimension is checked before use).
public final class GGUFFile: Sendable {
    /// The file that was opened.
    public let url: URL
    /// Format version (2 or 3).
    public let version: UInt32
    /// Data alignment (`general.alignment`, default 32).
    public let alignment: Int
    /// Every metadata key and value.
    public let metadata: [String: GGUFValue]
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    /// The tensor table in file order.
    public let tensors: [GGUFTensorInfo]
    /// Byte offset of the data section in the file (tensor offsets are relative to it).
    public let dataOffset: Int

    let mapping: MappedFile
    private let tensorIndex: [String: Int]

    /// Maps the file at `url` and parses it; throws `FormatError` naming the file and the fault.
    public init(contentsOf url: URL) throws {
        self.url = url
        let mapping = try MappedFile(url: url)
        self.mapping = mapping
        let parsed = try GGUFHeaderParser.parse(mapping.bytes, url: url)
        version = parsed.version
        alignment = parsed.alignment
        metadata = parsed.metadata
        metadataKeys = parsed.metadataKeys
        tensors = parsed.tensors
        dataOffset = parsed.dataStart
        var index: [String: Int] = [:]
        for (position, info) in parsed.tensors.enumerated() { index[info.name] = position }
        tensorIndex = index
    }

    /// The tensor table entry named `named`, or nil.
    public func tensor(named: String) -> GGUFTensorInfo? {
        tensorIndex[named].map { tensors[$0] }
    }

    /// The metadata value for `key`, or nil.
    public subscript(key: String) -> GGUFValue? { metadata[key] }

    /// The dequantised values of tensor `name` (ne0 fastest, i.e. row-major in `rowMajorShape`).
    public func floats(_ name: String) throws -> [Float] {
        let info = try requireTensor(name)
        let count = info.elementCount
        return try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            try readFloats(name, into: buffer)
            initialized = count
        }
    }

    /// Dequantises tensor `name` into `destination`, whose count must equal the element count.
    /// Throws `FormatError` naming the type when it cannot be dequantised.
    public func readFloats(_ name: String, into destination: UnsafeMutableBufferPointer<Float>) throws {
        let info = try requireTensor(name)
        guard destination.count == info.elementCount else {
            throw FormatError(url: url, "tensor '\(name)' has \(info.elementCount) elements but the destination holds \(destination.count); pass a buffer of the tensor's size")
        }
        guard GGUFDequantizer.supports(info.type) else {
            let supported = GGMLType.allCases.filter(\.canDequantize).map(\.name).joined(separator: ", ")
            throw FormatError(url: url, "tensor '\(name)' has type \(info.type.name), which cannot be dequantised (supported: \(supported)); re-quantise the model to a supported type")
        }
        guard info.elementCount > 0, let output = destination.baseAddress, let base = mapping.bytes.baseAddress else { return }
        _ = GGUFDequantizer.dequantize(info.type, source: base + dataOffset + info.offset, elementCount: info.elementCount, into: output)
    }

    /// Calls `body` with the stored bytes of tensor `name` (valid only during the call).
    public func withRawBytes<Result>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> Result) throws -> Result {
        let info = try requireTensor(name)
        guard let base = mapping.bytes.baseAddress else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: base + dataOffset + info.offset, count: info.byteCount))
    }

    private func requireTensor(_ name: String) throws -> GGUFTensorInfo {
        guard let info = tensor(named: name) else {
            let sample = tensors.prefix(5).map(\.name).joined(separator: ", ")
            throw FormatError(url: url, "has no tensor named '\(name)' (it has \(tensors.count) tensors, e.g. \(sample)); check the tensor name")
        }
        return info
    }
}

extension GGUFFile {
    /// Tensor `name` (two-dimensional, `[rows, columns]` row-major) kept in its stored type, for
    /// dequantising on demand.
    /// - Throws: `FormatError` naming the file and tensor when it is missing, not a matrix, or of
    ///   a type that cannot be dequantised.
    public func quantizedMatrix(_ name: String) throws -> QuantizedMatrix {
        guard let info = tensor(named: name) else {
            throw FormatError(url: url, "has no tensor named '\(name)'; check the tensor name")
        }
        let shape = info.rowMajorShape
        guard shape.count == 2 else {
            throw FormatError(url: url, "tensor '\(name)' has shape \(shape), not a matrix")
        }
        return try withRawBytes(name) { bytes in
            do {
                return try QuantizedMatrix(type: info.type, rows: shape[0], columns: shape[1], bytes: bytes)
            } catch {
                throw FormatError(url: url, "tensor '\(name)': \(error)")
            }
        }
    }
}
