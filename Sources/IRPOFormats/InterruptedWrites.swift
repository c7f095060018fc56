import Foundation

/// The temporary files and folders that atomic writers leave behind when the process is killed
/// mid-write, and their removal when a run resumes.
///
/// The writers of this package put their work next to the destination under a hidden name and
/// rename it into place: `.<name>.tmp-<suffix>` (`AtomicFileWriter`, for every file that must
/// survive an interruption), `.<name>.partial` (checkpoint and model folders) and
/// `.<name>.stale` (a checkpoint being replaced). A leftover `.tmp-` file or `.partial` folder is never complete, so it is
/// removed; a `.stale` folder is the complete previous `<name>`, so it is moved back when
/// `<name>` is missing (the kill came between the two renames) and removed otherwise.
public enum InterruptedWrites {
    /// Whether `name` is a temporary name of an atomic writer.
    public static func isTemporaryName(_ name: String) -> Bool {
        guard name.hasPrefix("."), name.count > 1 else { return false }
        return name.contains(".tmp-") || name.hasSuffix(".partial") || name.hasSuffix(".stale")
    }

    /// Cleans `directory` and every folder below it (symbolic links are not followed).
    /// - Returns: what was removed or restored, as paths relative to `directory`.
    /// - Throws: `FormatError` naming the leftover that could not be removed.
    @discardableResult
    public static func clean(_ directory: URL) throws -> [String] {
        let manager = FileManager.default
        var handled: [String] = []
        func visit(_ folder: URL, relative: String) throws {
            let names = ((try? manager.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
            for name in names {
                let url = folder.appendingPathComponent(name)
                let path = relative.isEmpty ? name : relative + "/" + name
                if isTemporaryName(name) {
                    let original = String(name.dropFirst().dropLast(".stale".count))
                    let target = folder.appendingPathComponent(original)
                    do {
                        if name.hasSuffix(".stale"), !original.isEmpty, !manager.fileExists(atPath: target.path) {
                            try manager.moveItem(at: url, to: target)
                            handled.append("\(path) -> \(relative.isEmpty ? original : relative + "/" + original)")
                        } else {
                            try manager.removeItem(at: url)
                            handled.append(path)
                        }
                    } catch {
                        throw FormatError(url: url, "is left over from an interrupted write and cannot be removed (\(error.localizedDescription)); delete it by hand")
                    }
                    continue
                }
                let values = try? url.resourceValues(forKeys: [.isDirectoryKey, .isSymbolicLinkKey])
                if values?.isDirectory == true, values?.isSymbolicLink != true { try visit(url, relative: path) }
            }
        }
        try visit(directory, relative: "")
        return handled
    }
}
