import Foundation

/// Writes a file atomically: the bytes go to a temporary file in the same folder, are flushed to
/// disk, and the file is then renamed over the destination, so a reader (or a resumed run) sees
/// either the old content or the new, never half. The one way this package writes files that
/// must survive an interruption: model weights, run state, samples, pairs, reports.
public enum AtomicFileWriter {
    /// Writes `data` to `url` atomically.
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { sink in try data.withUnsafeBytes { try sink($0) } }
    }

    /// Writes a UTF-8 string atomically.
    public static func write(_ text: String, to url: URL) throws {
        try write(Data(text.utf8), to: url)
    }

    /// Encodes `value` as pretty, key-sorted JSON and writes it atomically.
    public static func writeJSON<T: Encodable>(_ value: T, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try write(encoder.encode(value), to: url)
    }

    /// Writes the chunks produced by `produce` (each passed to the sink in order) to `url`,
    /// creating its folder first when it is missing.
    public static func write(to url: URL, _ produce: (_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let folder = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw FormatError(url: url, "cannot create the folder \(folder.path) (\(error.localizedDescription)); check the path and permissions")
        }
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw FormatError(url: url, "cannot create a temporary file in \(folder.path); check that the folder exists and is writable")
        }
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            do {
                try produce { chunk in
                    if chunk.count > 0 { try handle.write(contentsOf: Data(chunk)) }
                }
                try handle.synchronize()
                try handle.close()
            } catch {
                try? handle.close()
                throw error
            }
            if rename(temporary.path, url.path) != 0 {
                let reason = String(cString: strerror(errno))
                throw FormatError(url: url, "cannot move the temporary file into place (\(reason)); check permissions")
            }
        } catch let error as FormatError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw FormatError(url: url, "write failed (\(error.localizedDescription)); check free disk space and permissions")
        }
    }
}
