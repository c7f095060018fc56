import Foundation

/// The validated header of a safetensors file.
struct SafetensorsHeader {
    /// Largest header accepted (the reference implementation's limit).
    static let maximumHeaderLength = 100_000_000

    var metadata: [String: String]
    /// Tensors sorted by data offset (then name).
    var tensors: [SafetensorsTensorInfo]
    /// Byte offset of the data section in the file.
    var dataStart: Int

    /// Parses and validates the header in `bytes` (the whole file).
    static func parse(_ bytes: UnsafeRawBufferPointer, url: URL) throws -> SafetensorsHeader {
        func fail(_ message: String) -> FormatError { FormatError(url: url, message) }
        let fileSize = bytes.count
        guard fileSize >= 8 else {
            throw fail("file is \(fileSize) bytes, too short for the 8-byte header length; the file is truncated or not safetensors")
        }
        let declared = bytes.loadUnaligned(as: UInt64.self).littleEndian
        guard declared <= UInt64(fileSize - 8) else {
            throw fail("header length \(declared) runs past the end of the file (\(fileSize) bytes); the file is truncated or not safetensors")
        }
        let headerLength = Int(declared)
        guard headerLength <= maximumHeaderLength else {
            throw fail("header length \(headerLength) exceeds the \(maximumHeaderLength)-byte limit; the file is corrupt")
        }
        guard headerLength >= 2 else {
            throw fail("header length \(headerLength) is too small for a JSON object; the file is corrupt")
        }
        let dataStart = 8 + headerLength
        let dataSize = fileSize - dataStart
        let json = Data(bytes[8..<dataStart])
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: json, options: [])
        } catch {
            throw fail("header is not well-formed JSON (\(error.localizedDescription)); the file is corrupt")
        }
        guard let entries = object as? [String: Any] else {
            throw fail("header JSON is not an object; the file is corrupt")
        }
        var metadata: [String: String] = [:]
        var tensors: [SafetensorsTensorInfo] = []
        tensors.reserveCapacity(entries.count)
        for (name, value) in entries {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else {
                    throw fail("header '__metadata__' is not an object of strings; the file is corrupt")
                }
                for (key, item) in map {
                    guard let text = item as? String else {
                        throw fail("header '__metadata__' key '\(key)' is not a string; the file is corrupt")
                    }
                    metadata[key] = text
                }
                continue
            }
            tensors.append(try parseEntry(name: name, value: value, dataSize: dataSize, fail: fail))
        }
        tensors.sort { ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound, $0.name) < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound, $1.name) }
        for (previous, next) in zip(tensors, tensors.dropFirst()) where next.dataOffsets.lowerBound < previous.dataOffsets.upperBound {
            throw fail("tensors '\(previous.name)' (bytes \(previous.dataOffsets)) and '\(next.name)' (bytes \(next.dataOffsets)) overlap in the data section; the file is corrupt")
        }
        return SafetensorsHeader(metadata: metadata, tensors: tensors, dataStart: dataStart)
    }

    private static func parseEntry(name: String, value: Any, dataSize: Int, fail: (String) -> FormatError) throws -> SafetensorsTensorInfo {
        guard let entry = value as? [String: Any] else {
            throw fail("header entry for tensor '\(name)' is not an object; the file is corrupt")
        }
        guard let dtypeName = entry["dtype"] as? String else {
            throw fail("tensor '\(name)' has no string 'dtype'; the file is corrupt")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            let known = SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", ")
            throw fail("tensor '\(name)' has unknown dtype '\(dtypeName)' (supported: \(known)); convert the checkpoint to a supported dtype")
        }
        guard let shapeValues = entry["shape"] as? [Any] else {
            throw fail("tensor '\(name)' has no 'shape' array; the file is corrupt")
        }
        var shape: [Int] = []
        var elements = 1
        var overflow = false
        for item in shapeValues {
            guard let dimension = exactInt(item), dimension >= 0 else {
                throw fail("tensor '\(name)' has invalid shape \(shapeValues) (dimensions must be non-negative integers); the file is corrupt")
            }
            shape.append(dimension)
            let product = elements.multipliedReportingOverflow(by: dimension)
            overflow = overflow || product.overflow
            elements = product.partialValue
        }
        let bytes = elements.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, !bytes.overflow else {
            throw fail("tensor '\(name)' shape \(shape) has an element count that overflows; the file is corrupt")
        }
        guard let offsetValues = entry["data_offsets"] as? [Any], offsetValues.count == 2,
              let begin = exactInt(offsetValues[0]), let end = exactInt(offsetValues[1]) else {
            throw fail("tensor '\(name)' has no 'data_offsets' pair of integers; the file is corrupt")
        }
        guard begin >= 0, begin <= end, end <= dataSize else {
            throw fail("tensor '\(name)' data_offsets [\(begin), \(end)] lie outside the data section of \(dataSize) bytes; the file is truncated or corrupt")
        }
        guard end - begin == bytes.partialValue else {
            throw fail("tensor '\(name)' occupies \(end - begin) bytes but shape \(shape) x \(dtype.rawValue) needs \(bytes.partialValue); the file is corrupt")
        }
        return SafetensorsTensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end)
    }

    /// The value as an `Int` when it is a JSON integer that fits (not a bool, not a fraction).
    private static func exactInt(_ value: Any) -> Int? {
        if let number = value as? NSNumber {
            let type = String(cString: number.objCType)
            if type == "c" || type == "B" { return nil }
            let double = number.doubleValue
            guard double.rounded() == double, abs(double) < 9.2e18 else { return nil }
            return number.intValue
        }
        return nil
    }
}
