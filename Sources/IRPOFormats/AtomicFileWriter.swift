import Foundation

/// Writes a file atomically: the bytes go to a temporary file in the same folder, which is then
/// renamed over the destination, so readers never see a half-written file.
public enum AtomicFileWriter {
    /// Writes `data` to `url` atomically.
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { sink in try data.withUnsafeBytes { try sink($0) } }
    }

    /// Writes the chunks produced by `produce` (each passed to the sink in order) to `url`.
    public static func write(to url: URL, _ produce: (_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let folder = url.deletingLastPathComponent()
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
