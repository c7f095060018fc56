import Foundation

/// Parses and validates the GGUF header, metadata and tensor table.
struct GGUFHeaderParser {
    /// Maximum nesting of arrays inside arrays accepted in metadata.
    static let maximumArrayDepth = 8
    /// ggml's maximum number of dimensions.
    static let maximumDimensions = 4

    struct Result {
        var version: UInt32
        var alignment: Int
        var metadata: [String: GGUFValue]
        var metadataKeys: [String]
        var tensors: [GGUFTensorInfo]
        var dataStart: Int
    }

    static func parse(_ bytes: UnsafeRawBufferPointer, url: URL) throws -> Result {
        var reader = GGUFByteReader(bytes: bytes, url: url)
        try reader.require(4, for: "the magic number")
        let magic = try reader.read(UInt32.self, "magic")
        guard magic == 0x4655_4747 else {  // "GGUF"
            let shown = withUnsafeBytes(of: magic.littleEndian) { Array($0) }.map { String(format: "%02x", $0) }.joined(separator: " ")
            throw reader.fail("bad magic (bytes \(shown), expected 47 47 55 46 = \"GGUF\"); this is not a GGUF file")
        }
        let version = try reader.read(UInt32.self, "version")
        guard version == 2 || version == 3 else {
            if version == 1 {
                throw reader.fail("unsupported version 1 (pre-August-2023 GGUF); re-convert the model with a current llama.cpp")
            }
            if version.byteSwapped == 2 || version.byteSwapped == 3 {
                throw reader.fail("unsupported version \(version): this looks like a big-endian GGUF; only little-endian files are supported")
            }
            throw reader.fail("unsupported version \(version) (supported: 2 and 3); convert the model with a llama.cpp that writes GGUF v3")
        }
        let tensorCount = try reader.readCount("tensor count")
        let keyCount = try reader.readCount("metadata key count")
        // Each key-value pair takes at least 8 (key length) + 4 (type) + 1 bytes; each tensor at least 8 + 4 + 4 + 8.
        guard keyCount <= reader.remaining / 13, tensorCount <= reader.remaining / 24 else {
            throw reader.fail("declares \(keyCount) metadata keys and \(tensorCount) tensors, more than \(reader.remaining) remaining bytes can hold; the file is corrupt or truncated")
        }
        var metadata: [String: GGUFValue] = [:]
        metadata.reserveCapacity(keyCount)
        var keys: [String] = []
        keys.reserveCapacity(keyCount)
        for index in 0..<keyCount {
            let key = try reader.readString("metadata key \(index)")
            let typeCode = try reader.read(UInt32.self, "value type of '\(key)'")
            let value = try readValue(&reader, typeCode: typeCode, key: key, depth: 0)
            guard metadata.updateValue(value, forKey: key) == nil else {
                throw reader.fail("metadata key '\(key)' appears twice; the file is corrupt")
            }
            keys.append(key)
        }
        let alignment = try readAlignment(metadata, reader: reader)
        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(tensorCount)
        var names = Set<String>()
        for index in 0..<tensorCount {
            let info = try readTensorInfo(&reader, index: index)
            guard names.insert(info.name).inserted else {
                throw reader.fail("tensor name '\(info.name)' appears twice in the tensor table; the file is corrupt")
            }
            tensors.append(info)
        }
        let headerEnd = reader.position
        let (padded, overflow) = headerEnd.addingReportingOverflow(alignment - 1)
        guard !overflow else { throw reader.fail("data section offset overflows; the file is corrupt") }
        let dataStart = padded / alignment * alignment
        if tensorCount > 0 {
            guard dataStart <= bytes.count else {
                throw reader.fail("data section would start at offset \(dataStart), past the end of the file (\(bytes.count) bytes); the file is truncated")
            }
        }
        try validateTensorData(tensors, dataStart: dataStart, alignment: alignment, fileSize: bytes.count, reader: reader)
        return Result(version: version, alignment: alignment, metadata: metadata, metadataKeys: keys, tensors: tensors, dataStart: min(dataStart, bytes.count))
    }

    private static func readAlignment(_ metadata: [String: GGUFValue], reader: GGUFByteReader) throws -> Int {
        guard let value = metadata["general.alignment"] else { return 32 }
        guard case .uint32(let raw) = value else {
            throw reader.fail("metadata 'general.alignment' has type \(value.typeName), expected UINT32; fix the file's metadata")
        }
        guard raw > 0, raw & (raw - 1) == 0 else {
            throw reader.fail("metadata 'general.alignment' is \(raw), not a power of two; the file is corrupt")
        }
        return Int(raw)
    }

    private static func readValue(_ reader: inout GGUFByteReader, typeCode: UInt32, key: String, depth: Int) throws -> GGUFValue {
        switch typeCode {
        case 0: return .uint8(try reader.read(UInt8.self, "value of '\(key)'"))
        case 1: return .int8(try reader.read(Int8.self, "value of '\(key)'"))
        case 2: return .uint16(try reader.read(UInt16.self, "value of '\(key)'"))
        case 3: return .int16(try reader.read(Int16.self, "value of '\(key)'"))
        case 4: return .uint32(try reader.read(UInt32.self, "value of '\(key)'"))
        case 5: return .int32(try reader.read(Int32.self, "value of '\(key)'"))
        case 6: return .float32(try reader.readFloat("value of '\(key)'"))
        case 7:
            let raw = try reader.read(UInt8.self, "value of '\(key)'")
            guard raw <= 1 else { throw reader.fail("metadata '\(key)' has BOOL value \(raw), expected 0 or 1; the file is corrupt") }
            return .bool(raw == 1)
        case 8: return .string(try reader.readString("string value of '\(key)'"))
        case 9: return try readArray(&reader, key: key, depth: depth)
        case 10: return .uint64(try reader.read(UInt64.self, "value of '\(key)'"))
        case 11: return .int64(try reader.read(Int64.self, "value of '\(key)'"))
        case 12: return .float64(try reader.readDouble("value of '\(key)'"))
        default:
            throw reader.fail("metadata '\(key)' has unknown value type \(typeCode) (known: 0...12); the file is corrupt or from a newer GGUF version")
        }
    }

    private static func readArray(_ reader: inout GGUFByteReader, key: String, depth: Int) throws -> GGUFValue {
        guard depth < maximumArrayDepth else {
            throw reader.fail("metadata '\(key)' nests arrays deeper than \(maximumArrayDepth) levels; the file is corrupt")
        }
        let elementType = try reader.read(UInt32.self, "array element type of '\(key)'")
        let count = try reader.readCount("array count of '\(key)'")
        let minimumSize: Int
        switch elementType {
        case 0, 1, 7: minimumSize = 1
        case 2, 3: minimumSize = 2
        case 4, 5, 6: minimumSize = 4
        case 8, 10, 11, 12: minimumSize = 8
        case 9: minimumSize = 12
        default:
            throw reader.fail("metadata '\(key)' is an array of unknown value type \(elementType) (known: 0...12); the file is corrupt")
        }
        guard count <= reader.remaining / minimumSize else {
            throw reader.fail("metadata '\(key)' declares \(count) array elements of \(GGUFValue.typeName(code: elementType)), more than the \(reader.remaining) remaining bytes can hold; the file is truncated or corrupt")
        }
        var elements: [GGUFValue] = []
        elements.reserveCapacity(count)
        if elementType == 8 {
            for _ in 0..<count { elements.append(.string(try reader.readString("array element of '\(key)'"))) }
        } else {
            for _ in 0..<count { elements.append(try readValue(&reader, typeCode: elementType, key: key, depth: depth + 1)) }
        }
        return .array(elements)
    }

    private static func readTensorInfo(_ reader: inout GGUFByteReader, index: Int) throws -> GGUFTensorInfo {
        let name = try reader.readString("name of tensor \(index)")
        let dimensionCount = try reader.read(UInt32.self, "dimension count of tensor '\(name)'")
        guard dimensionCount >= 1, dimensionCount <= UInt32(maximumDimensions) else {
            throw reader.fail("tensor '\(name)' has \(dimensionCount) dimensions (supported: 1...\(maximumDimensions)); the file is corrupt")
        }
        var dimensions: [Int] = []
        var elements = 1
        var overflow = false
        for axis in 0..<Int(dimensionCount) {
            let raw = try reader.read(UInt64.self, "dimension \(axis) of tensor '\(name)'")
            guard let dimension = Int(exactly: raw) else {
                throw reader.fail("tensor '\(name)' dimension \(axis) is \(raw), too large; the file is corrupt")
            }
            dimensions.append(dimension)
            let product = elements.multipliedReportingOverflow(by: dimension)
            overflow = overflow || product.overflow
            elements = product.partialValue
        }
        guard !overflow else {
            throw reader.fail("tensor '\(name)' dimensions \(dimensions) have a product that overflows; the file is corrupt")
        }
        let typeCode = try reader.read(UInt32.self, "type of tensor '\(name)'")
        guard let type = GGMLType(rawValue: typeCode) else {
            throw reader.fail("tensor '\(name)' has unknown tensor type \(typeCode); the file needs a newer reader or is corrupt")
        }
        let rawOffset = try reader.read(UInt64.self, "data offset of tensor '\(name)'")
        guard let offset = Int(exactly: rawOffset) else {
            throw reader.fail("tensor '\(name)' data offset \(rawOffset) is too large; the file is corrupt")
        }
        let layout = type.blockLayout
        guard dimensions[0] % layout.elements == 0 else {
            throw reader.fail("tensor '\(name)' of type \(type.name) has a first dimension \(dimensions[0]) that is not a multiple of the block size \(layout.elements); the file is corrupt")
        }
        guard (elements / layout.elements).multipliedReportingOverflow(by: layout.bytes).overflow == false else {
            throw reader.fail("tensor '\(name)' byte size overflows; the file is corrupt")
        }
        return GGUFTensorInfo(name: name, dimensions: dimensions, type: type, offset: offset)
    }

    private static func validateTensorData(_ tensors: [GGUFTensorInfo], dataStart: Int, alignment: Int, fileSize: Int, reader: GGUFByteReader) throws {
        let available = max(0, fileSize - dataStart)
        for info in tensors {
            guard info.offset % alignment == 0 else {
                throw reader.fail("tensor '\(info.name)' data offset \(info.offset) is not a multiple of the alignment \(alignment); the file is corrupt")
            }
            let (end, overflow) = info.offset.addingReportingOverflow(info.byteCount)
            guard !overflow, end <= available else {
                throw reader.fail("tensor '\(info.name)' data (offset \(info.offset), \(info.byteCount) bytes of \(info.type.name)) lies outside the file: the data section holds \(available) bytes; the file is truncated or corrupt")
            }
        }
        let sorted = tensors.sorted { ($0.offset, $0.byteCount) < ($1.offset, $1.byteCount) }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where next.offset < previous.offset + previous.byteCount {
            throw reader.fail("tensors '\(previous.name)' and '\(next.name)' overlap in the data section; the file is corrupt")
        }
    }
}
