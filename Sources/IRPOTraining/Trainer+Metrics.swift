import Foundation

extension Trainer {
    /// `<output>/metrics.jsonl`, one `StepMetrics` object per line.
    public var metricsURL: URL? { outputDirectory?.appendingPathComponent("metrics.jsonl") }

    /// Appends one line to metrics.jsonl.
    func appendMetrics(_ metrics: StepMetrics) throws {
        guard let url = metricsURL, let outputDirectory else { return }
        let manager = FileManager.default
        try manager.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        if !manager.fileExists(atPath: url.path) {
            guard manager.createFile(atPath: url.path, contents: nil) else {
                throw TrainingError.checkpoint(path: url.path, message: "cannot be created; check permissions")
            }
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((try metrics.jsonLine() + "\n").utf8))
    }

    /// Keeps the lines of metrics.jsonl with `step <= step` (a resumed run rewrites the rest),
    /// dropping a torn last line; rewrites the file atomically.
    func trimMetrics(toStep step: Int) throws {
        guard let url = metricsURL, FileManager.default.fileExists(atPath: url.path) else { return }
        let data = try Data(contentsOf: url)
        var kept = Data()
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard let metrics = try? JSONDecoder().decode(StepMetrics.self, from: Data(line)), metrics.step <= step else { continue }
            kept.append(contentsOf: line)
            kept.append(UInt8(ascii: "\n"))
        }
        try kept.write(to: url, options: .atomic)
    }
}
