import ArgumentParser
import Foundation
import IRPOFormats
import IRPOLoading
import IRPOModel

/// `irpo convert INPUT OUTPUT`: between GGUF files and Hugging Face folders.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a model between GGUF and a Hugging Face folder (or GGUF to GGUF).",
        discussion: """
        INPUT is a .gguf file (any supported quantisation), a Hugging Face folder (config.json +
        safetensors) or a folder holding one .gguf file. OUTPUT ending in .gguf is written as GGUF
        (--dtype f32, f16, q8_0 or q4_0, quantised as llama.cpp's llama-quantize does; tokenizer
        metadata is copied from a GGUF input, or built from the folder's tokenizer.json);
        anything else is written as a Hugging Face folder (config.json + model.safetensors in
        f32, f16 or bf16, plus tokenizer.json and tokenizer_config.json from a GGUF vocabulary).

        Example: irpo convert SmolLM2-135M-Instruct.Q4_1.gguf models/smollm2-135m-instruct
        Example: irpo convert runs/smollm2/iter-1/model smollm2-irpo.q8_0.gguf --dtype q8_0
        """)

    @Argument(help: "A .gguf file, a Hugging Face model folder, or a folder holding one .gguf file.")
    var input: String

    @Argument(help: "Output: a path ending in .gguf, or a folder for Hugging Face format.")
    var output: String

    @Option(name: .long, help: "Stored weight type: f32, f16, bf16 (Hugging Face folders only), q8_0 or q4_0 (GGUF only).")
    var dtype = "f32"

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    func validate() throws {
        guard ["f32", "f16", "bf16", "q8_0", "q4_0"].contains(dtype) else {
            throw ValidationError("--dtype must be f32, f16, bf16, q8_0 or q4_0, got '\(dtype)'")
        }
        if Self.isGGUFOutput(output) && dtype == "bf16" {
            throw ValidationError("--dtype bf16 cannot be written to GGUF here; use f32, f16, q8_0 or q4_0 for \(output)")
        }
        if !Self.isGGUFOutput(output) && ["q8_0", "q4_0"].contains(dtype) {
            throw ValidationError("--dtype \(dtype) is a GGUF type; name the output *.gguf, or use f32, f16 or bf16 for a Hugging Face folder")
        }
        guard URL(fileURLWithPath: input).standardizedFileURL != URL(fileURLWithPath: output).standardizedFileURL else {
            throw ValidationError("INPUT and OUTPUT are the same path (\(input)); write to a new path")
        }
    }

    static func isGGUFOutput(_ path: String) -> Bool { path.lowercased().hasSuffix(".gguf") }

    mutating func run() throws {
        let source = try ModelSource(path: input)
        let sourceFile = source.format == .gguf ? try GGUFFile(contentsOf: source.weights) : nil
        let model = try sourceFile.map { try LlamaModel(gguf: $0) } ?? source.loadModel()
        let outputURL = URL(fileURLWithPath: output)
        var notes: [String] = []
        if Self.isGGUFOutput(output) {
            var tokenizerMetadata: [(key: String, value: GGUFValue)] = []
            if let sourceFile {
                tokenizerMetadata = LlamaModel.ggufTokenizerMetadata(of: sourceFile)
            } else {
                let (metadata, note) = try source.ggufTokenizerMetadata()
                tokenizerMetadata = metadata
                if let note { notes.append(note) }
            }
            if tokenizerMetadata.isEmpty { notes.append("no tokenizer metadata written (the input has no tokenizer)") }
            let name = sourceFile?["general.name"]?.stringValue ?? URL(fileURLWithPath: input).deletingPathExtension().lastPathComponent
            guard let policy = GGUFExportPolicy(name: dtype) else { throw Failure("--dtype \(dtype) cannot be written to GGUF") }
            try model.saveGGUF(to: outputURL, type: policy.target, name: name, extraMetadata: tokenizerMetadata)
        } else {
            let stored: SafetensorsDType = dtype == "bf16" ? .bf16 : dtype == "f16" ? .f16 : .f32
            try model.save(to: outputURL, dtype: stored)
            if let sourceFile {
                notes += try TokenizerFiles.writeHuggingFaceFiles(metadata: sourceFile.metadata, configuration: model.configuration,
                                                                   folder: outputURL, source: source.weights.path)
            } else {
                notes += try TokenizerFiles.copyHuggingFaceFiles(from: source.weights, to: outputURL)
            }
        }
        let c = model.configuration
        print("converted \(input) -> \(output): \(c.modelType), \(c.layerCount) layers, hidden \(c.hiddenSize), vocab \(c.vocabularySize), \(model.parameterCount) parameters, \(dtype)")
        for note in notes { print("note: \(note)") }
    }
}
