import Foundation

/// An append-only JSON Lines file that survives being killed mid-write: each row is written with
/// one `write` ending in a newline, and opening the file drops a last line without its newline
/// (a row cut short) so that every complete row is kept and nothing half-written is read.
final class JSONLinesAppender {
    let url: URL
    private let handle: FileHandle
    private let encoder: JSONEncoder

    /// Opens (or creates) `url` for appending, cutting off an incomplete last line.
    /// - Throws: `PipelineError` naming the file when it cannot be opened.
    init(url: URL) throws {
        self.url = url
        let manager = FileManager.default
        try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !manager.fileExists(atPath: url.path) { _ = manager.createFile(atPath: url.path, contents: nil) }
        do {
            handle = try FileHandle(forUpdating: url)
            let data = try handle.readToEnd() ?? Data()
            let keep = data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
            if keep < data.count { try handle.truncate(atOffset: UInt64(keep)) }
            try handle.seek(toOffset: UInt64(keep))
        } catch {
            throw PipelineError("cannot open \(url.path) for appending (\(error.localizedDescription)); check the folder is writable")
        }
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    deinit { try? handle.close() }

    /// Appends one row.
    func append<T: Encodable>(_ row: T) throws {
        var line = try encoder.encode(row)
        line.append(UInt8(ascii: "\n"))
        do { try handle.write(contentsOf: line) } catch {
            throw PipelineError("cannot append to \(url.path) (\(error.localizedDescription)); check free disk space")
        }
    }

    /// The complete rows of `url` (none when it does not exist); a last line without its newline is ignored.
    static func read<T: Decodable>(_ type: T.Type, from url: URL) throws -> [T] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw PipelineError("cannot read \(url.path) (\(error.localizedDescription)); delete it to redo the work it records")
        }
        let complete = data.lastIndex(of: UInt8(ascii: "\n")).map { data[..<($0 + 1)] } ?? Data()
        let decoder = JSONDecoder()
        var rows: [T] = []
        for (index, line) in complete.split(separator: UInt8(ascii: "\n")).enumerated() {
            do { rows.append(try decoder.decode(T.self, from: Data(line))) } catch {
                throw PipelineError("\(url.path) line \(index + 1) is not a valid \(T.self) row (\(error)); delete the file to redo the work it records")
            }
        }
        return rows
    }
}
