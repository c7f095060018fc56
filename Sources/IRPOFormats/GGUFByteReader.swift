import Foundation

/// A bounds-checked little-endian cursor over a GGUF file's mapped bytes.
///
/// Every read checks the remaining length first and throws a `FormatError` naming the file, the
/// offset and what was being read.
struct GGUFByteReader {
    let bytes: UnsafeRawBufferPointer
    let url: URL
    private(set) var position = 0

    init(bytes: UnsafeRawBufferPointer, url: URL) {
        self.bytes = bytes
        self.url = url
    }

    var remaining: Int { bytes.count - position }

    func fail(_ message: String) -> FormatError { FormatError(url: url, message) }

    /// Throws unless `count` more bytes are available for `what`.
    func require(_ count: Int, for what: @autoclosure () -> String) throws {
        guard count >= 0, count <= remaining else {
            throw fail("truncated: \(what()) needs \(count) bytes at offset \(position) but only \(remaining) remain; the file is incomplete or corrupt")
        }
    }

    mutating func read<T: FixedWidthInteger>(_ type: T.Type, _ what: @autoclosure () -> String) throws -> T {
        let size = MemoryLayout<T>.size
        try require(size, for: what())
        let value = T(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: T.self))
        position += size
        return value
    }

    mutating func readFloat(_ what: @autoclosure () -> String) throws -> Float {
        Float(bitPattern: try read(UInt32.self, what()))
    }

    mutating func readDouble(_ what: @autoclosure () -> String) throws -> Double {
        Double(bitPattern: try read(UInt64.self, what()))
    }

    /// Reads a u64 count or length and checks that it fits in `Int`.
    mutating func readCount(_ what: @autoclosure () -> String) throws -> Int {
        let raw = try read(UInt64.self, what())
        guard let count = Int(exactly: raw), count <= bytes.count else {
            throw fail("\(what()) is \(raw), larger than the whole file (\(bytes.count) bytes); the file is corrupt")
        }
        return count
    }

    /// Reads a GGUF string (u64 byte length + UTF-8 bytes, no terminator). Invalid UTF-8 is repaired.
    mutating func readString(_ what: @autoclosure () -> String) throws -> String {
        let length = try readCount("length of \(what())")
        try require(length, for: "\(what()) of \(length) bytes")
        let slice = UnsafeRawBufferPointer(rebasing: bytes[position..<(position + length)])
        position += length
        return String(decoding: slice, as: UTF8.self)
    }

    mutating func skip(to offset: Int) throws {
        guard offset >= position, offset <= bytes.count else {
            throw fail("padding to offset \(offset) runs past the end of the file (\(bytes.count) bytes); the file is truncated")
        }
        position = offset
    }
}
