import Foundation

/// Streams a JSON Lines file: one JSON object per line, read in fixed-size chunks so that the
/// whole file is never in memory.
///
/// Blank lines (only whitespace) are skipped; a UTF-8 byte-order mark at the start and a `\r`
/// before each `\n` are tolerated. Line numbers are 1-based and count every line of the file,
/// so an error points at the line an editor shows.
public struct JSONLReader: Sendable {
    /// The file being read.
    public let path: String
    /// Bytes read per `read` call.
    public let chunkSize: Int

    /// Creates a reader for `path`; nothing is opened until a `forEach...` call.
    public init(path: String, chunkSize: Int = 1 << 20) {
        precondition(chunkSize > 0, "chunkSize must be positive")
        self.path = path
        self.chunkSize = chunkSize
    }

    /// Calls `body` with the 1-based line number and the bytes of every non-blank line, in order.
    /// - Throws: `TaskError.unreadableFile` if the file cannot be opened or read, and anything
    ///   `body` throws.
    public func forEachLine(_ body: (_ lineNumber: Int, _ bytes: Data) throws -> Void) throws {
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        } catch {
            throw TaskError.unreadableFile(path: path, reason: Self.reason(error))
        }
        defer { try? handle.close() }

        var pending: [UInt8] = []
        var lineNumber = 0
        func emit(_ line: ArraySlice<UInt8>) throws {
            lineNumber += 1
            var bytes = line
            if lineNumber == 1, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
            if bytes.last == 0x0D { bytes = bytes.dropLast() }
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return }
            try body(lineNumber, Data(bytes))
        }
        while true {
            let chunk: Data?
            do {
                chunk = try handle.read(upToCount: chunkSize)
            } catch {
                throw TaskError.unreadableFile(path: path, reason: Self.reason(error))
            }
            guard let chunk, !chunk.isEmpty else { break }
            pending.append(contentsOf: chunk)
            var start = 0
            let count = pending.count
            var index = 0
            while index < count {
                if pending[index] == 0x0A {
                    try emit(pending[start..<index])
                    start = index + 1
                }
                index += 1
            }
            pending.removeFirst(start)
        }
        if !pending.isEmpty { try emit(pending[...]) }
    }

    /// Calls `body` with every non-blank line parsed as a JSON object.
    /// - Throws: `TaskError.malformedJSON` naming "path:line" for a line that is not a JSON
    ///   object, `TaskError.unreadableFile`, and anything `body` throws.
    public func forEachRecord(_ body: (JSONRecord) throws -> Void) throws {
        try forEachLine { lineNumber, bytes in
            let location = "\(path):\(lineNumber)"
            try body(JSONRecord(parsing: bytes, location: location))
        }
    }

    static func reason(_ error: Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError {
            return underlying.localizedDescription
        }
        return nsError.localizedDescription
    }
}
