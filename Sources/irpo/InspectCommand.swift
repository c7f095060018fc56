import ArgumentParser
import Foundation
import IRPOFormats
import IRPOLoading
import IRPOModel

/// `irpo inspect MODEL`: architecture, parameter count, dtypes and tensor list of a model.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a model's architecture, parameter count, dtypes and tensors.",
        discussion: "Example: irpo inspect models/smollm2-135m-instruct --summary")

    @Argument(help: "A Hugging Face model folder (config.json + safetensors) or a GGUF file.")
    var model: String

    @Flag(name: .long, help: "Do not list every tensor.")
    var summary = false

    mutating func run() throws {
        let source = try ModelSource(path: model)
        let loaded = try source.loadModel()
        let c = loaded.configuration
        var lines: [String] = []
        lines.append("model: \(model)")
        lines.append("architecture: \(c.modelType)\(c.attentionBias ? " (q/k/v bias)" : "")")
        lines.append("vocab_size: \(c.vocabularySize)  hidden_size: \(c.hiddenSize)  intermediate_size: \(c.intermediateSize)")
        lines.append("layers: \(c.layerCount)  heads: \(c.attentionHeads)  kv_heads: \(c.keyValueHeads)  head_dim: \(c.headDimension)")
        var rope = "rope_theta: \(c.ropeTheta)"
        if let s = c.ropeScaling {
            rope += "  rope_scaling: llama3 (factor \(s.factor), low \(s.lowFrequencyFactor), high \(s.highFrequencyFactor), original_max_position_embeddings \(s.originalMaxPositionEmbeddings))"
        }
        lines.append(rope)
        lines.append("max_position_embeddings: \(c.maxPositionEmbeddings)  rms_norm_eps: \(c.rmsNormEpsilon)  tie_word_embeddings: \(c.tieWordEmbeddings)")
        if let window = c.slidingWindow { lines.append("sliding_window: \(window) (not applied; longer sequences are rejected)") }
        lines.append("parameters: \(loaded.parameterCount) (\(Self.millions(loaded.parameterCount)), \(Self.megabytes(loaded.parameterCount * 4)) as fp32)")

        if source.format == .gguf {
            if source.weights.path != URL(fileURLWithPath: model).path { lines.append("gguf file: \(source.weights.path)") }
            lines += try Self.ggufTensorLines(path: source.weights.path, summary: summary)
            print(lines.joined(separator: "\n"))
            return
        }
        // Stored dtypes come from the checkpoint headers.
        let checkpoint = try SafetensorsCheckpoint(directory: URL(fileURLWithPath: model))
        var dtypeCounts: [String: Int] = [:]
        for entry in loaded.layout.entries {
            let dtype = checkpoint.info(entry.huggingFaceName)?.dtype.rawValue ?? "?"
            dtypeCounts[dtype, default: 0] += entry.count
        }
        lines.append("stored dtypes: " + dtypeCounts.keys.sorted().map { "\($0) \(dtypeCounts[$0] ?? 0)" }.joined(separator: ", "))
        let unused = checkpoint.tensorNames.filter { name in !loaded.layout.entries.contains { $0.huggingFaceName == name } }
        if !unused.isEmpty { lines.append("unused tensors in the checkpoint: \(unused.joined(separator: ", "))") }
        if !summary {
            lines.append("tensors (\(loaded.layout.entries.count)):")
            for entry in loaded.layout.entries {
                let dtype = checkpoint.info(entry.huggingFaceName)?.dtype.rawValue ?? "?"
                lines.append("  \(entry.huggingFaceName)  \(dtype)  \(entry.shape)")
            }
        }
        print(lines.joined(separator: "\n"))
    }

    /// Stored tensor types and the tensor table of a GGUF file.
    static func ggufTensorLines(path: String, summary: Bool) throws -> [String] {
        let file = try GGUFFile(contentsOf: URL(fileURLWithPath: path))
        var lines: [String] = []
        var typeCounts: [String: Int] = [:]
        for tensor in file.tensors { typeCounts[tensor.type.name, default: 0] += tensor.elementCount }
        lines.append("GGUF version \(file.version), \(file.metadataKeys.count) metadata keys")
        lines.append("stored types: " + typeCounts.keys.sorted().map { "\($0) \(typeCounts[$0] ?? 0)" }.joined(separator: ", "))
        if !summary {
            lines.append("tensors (\(file.tensors.count)):")
            for tensor in file.tensors { lines.append("  \(tensor.name)  \(tensor.type.name)  \(tensor.rowMajorShape)") }
        }
        return lines
    }

    static func millions(_ count: Int) -> String { String(format: "%.2fM", Double(count) / 1e6) }
    static func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }
}
