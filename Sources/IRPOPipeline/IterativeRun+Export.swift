import Foundation
import IRPOFormats
import IRPOLoading
import IRPOModel

extension IterativeRun {
    /// `general.*` keys an export writes itself from the model; the seed's values are not copied.
    static let exportOwnedGeneralKeys: Set<String> = [
        "general.architecture", "general.name", "general.file_type", "general.quantization_version", "general.alignment",
    ]

    /// Step 4c (with `output.gguf.types`): M_t as `iter-t/model.<type>.gguf`, one file per type,
    /// with the seed model's tokenizer and chat template (and, for a GGUF seed, its other
    /// `general.*` metadata such as license and base model).
    func exportGGUF(iteration t: Int) throws -> String {
        let policies = config.output.ggufPolicies
        guard !policies.isEmpty else { return "no output.gguf.types" }
        let model = try ModelSource(path: modelFolder(iteration: t).path).loadModel()
        let seed = try ModelSource(path: config.seedModel)
        var (metadata, note) = try seed.ggufTokenizerMetadata()
        var name = "\(config.name) iteration \(t)"
        if seed.format == .gguf {
            let file = try GGUFFile(contentsOf: seed.weights)
            if let seedName = file["general.name"]?.stringValue { name = "\(seedName) (irpo \(config.name) iteration \(t))" }
            let general = file.metadataKeys.filter { $0.hasPrefix("general.") && !Self.exportOwnedGeneralKeys.contains($0) }
                .compactMap { key in file[key].map { (key: key, value: $0) } }
            metadata = general + metadata
        }
        var written: [String] = []
        for policy in policies {
            let url = directory.file("model.\(policy.name).gguf", iteration: t)
            try model.saveGGUF(to: url, type: policy.target, name: name, extraMetadata: metadata)
            let bytes = ((try? FileManager.default.attributesOfItem(atPath: url.path)[.size]) as? NSNumber)?.intValue ?? 0
            written.append(String(format: "%@ (%.1f MB)", url.lastPathComponent, Double(bytes) / 1e6))
        }
        if metadata.isEmpty { note = note ?? "the seed model has no tokenizer metadata to copy" }
        return written.joined(separator: ", ") + (note.map { "; note: \($0)" } ?? "")
    }
}
