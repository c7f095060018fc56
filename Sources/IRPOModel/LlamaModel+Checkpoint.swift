import Foundation
import IRPOFormats

extension LlamaModel {
    /// Loads a model from `path`: a Hugging Face folder (`config.json` + safetensors) or a GGUF
    /// file (by `.gguf` extension or magic; see `LlamaModel(ggufFile:)`). Every command that
    /// accepts a model goes through here.
    /// - Throws: `ModelError` or `FormatError` naming the file and the fault.
    public static func loadModel(path: String) throws -> LlamaModel {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ModelError.unsupportedModelPath(path: path, reason: "does not exist; pass a Hugging Face model folder")
        }
        if isGGUFPath(path) { return try LlamaModel(ggufFile: url) }
        guard isDirectory.boolValue else {
            throw ModelError.unsupportedModelPath(path: path, reason: "is a file but not GGUF; pass a Hugging Face model folder (config.json + model.safetensors) or a .gguf file")
        }
        return try LlamaModel(huggingFaceFolder: url)
    }

    /// Loads the model at `path` as a frozen base for adapters: a GGUF file whose projections are
    /// not all F32 keeps them in their stored types (`init(frozenGGUFFile:)`); anything else loads
    /// as `loadModel(path:)` does (a Hugging Face folder as Float).
    /// - Throws: as `loadModel(path:)`.
    public static func loadFrozenBase(path: String) throws -> LlamaModel {
        guard isGGUFPath(path) else { return try loadModel(path: path) }
        let url = URL(fileURLWithPath: path)
        let file = try GGUFFile(contentsOf: url)
        return ggufHasCompactProjections(file) ? try LlamaModel(frozenGGUFFile: url) : try LlamaModel(gguf: file)
    }

    /// Loads `config.json` and the safetensors weights (single file or sharded) from `folder`.
    ///
    /// Tensors the configuration does not use are ignored (e.g. `lm_head.weight` when
    /// embeddings are tied, as transformers does); F16/BF16 weights are converted to Float.
    /// - Throws: `ModelError.malformedConfiguration` / `.invalidConfiguration` for config.json,
    ///   `ModelError.missingTensor` / `.shapeMismatch` for the weights, `FormatError` for
    ///   damaged safetensors files.
    public convenience init(huggingFaceFolder folder: URL) throws {
        let configURL = folder.appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: configURL.path) else {
            throw ModelError.malformedConfiguration(file: configURL.path, reason: "is missing; a Hugging Face model folder needs config.json next to the weights")
        }
        let data = try LlamaConfiguration.readData(contentsOf: configURL)
        let configuration = try LlamaConfiguration.decode(data, file: configURL.path)
        try configuration.validate()
        // Every tensor the configuration implies must be in the files with its shape before the
        // parameters are allocated: a damaged config.json cannot ask for more memory than the
        // weights on disk hold.
        let checkpoint = try SafetensorsCheckpoint(directory: folder)
        let expected = ParameterLayout(configuration: configuration)
        for entry in expected.entries {
            let name = entry.huggingFaceName
            guard let info = checkpoint.info(name) else {
                throw ModelError.missingTensor(name: name, folder: folder.path)
            }
            guard info.shape == entry.shape else {
                throw ModelError.shapeMismatch(name: name, folder: folder.path, expected: entry.shape, found: info.shape)
            }
        }
        try self.init(configuration: configuration)
        sourceConfigurationJSON = data
        for entry in layout.entries {
            try checkpoint.readFloats(entry.huggingFaceName, into: parameters.view(entry.kind, layer: entry.layer))
        }
    }

    /// The tensors of this model under their Hugging Face names, in layout order (views into
    /// `parameters`; valid while the model lives).
    public func huggingFaceTensors() -> [SafetensorsWriter.Tensor] {
        precondition(frozenProjections == nil, "huggingFaceTensors needs float weights; call dequantized() first")
        return layout.entries.map { entry in
            SafetensorsWriter.Tensor(name: entry.huggingFaceName, shape: entry.shape,
                                     values: UnsafeBufferPointer(parameters.view(entry.kind, layer: entry.layer)))
        }
    }

    /// Saves a Hugging Face folder that transformers loads unchanged: `config.json` and
    /// `model.safetensors` (F32 unless `dtype` says otherwise). With tied embeddings only
    /// `model.embed_tokens.weight` is written, as `save_pretrained` does. Keys of the
    /// `config.json` the model was loaded from are kept unless this engine writes them.
    /// - Throws: `ModelError` or `FormatError` naming the path if the folder cannot be written.
    public func save(to folder: URL, dtype: SafetensorsDType = .f32) throws {
        if frozenProjections != nil {
            try dequantized().save(to: folder, dtype: dtype)
            return
        }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw ModelError.unsupportedModelPath(path: folder.path, reason: "cannot create the folder (\(error.localizedDescription)); check the path and permissions")
        }
        var object: [String: Any] = [:]
        if let source = sourceConfigurationJSON,
           let original = try? JSONSerialization.jsonObject(with: source) as? [String: Any] {
            object = original
            // Rotary keys are rewritten as a whole so old and new spellings cannot disagree.
            object["rope_scaling"] = nil
            object["rope_parameters"] = nil
        }
        let encoded = try configuration.jsonData()
        if let ours = try JSONSerialization.jsonObject(with: encoded) as? [String: Any] {
            object.merge(ours) { _, new in new }
        }
        // transformers 5 spells the key `dtype` (and warns about the older `torch_dtype`).
        switch dtype {
        case .f16: object["dtype"] = "float16"
        case .bf16: object["dtype"] = "bfloat16"
        default: object["dtype"] = "float32"
        }
        object["torch_dtype"] = nil
        let configData = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        let configURL = folder.appendingPathComponent("config.json")
        do {
            try configData.write(to: configURL, options: .atomic)
        } catch {
            throw ModelError.unsupportedModelPath(path: configURL.path, reason: "cannot be written (\(error.localizedDescription)); check free space and permissions")
        }
        try SafetensorsWriter.write(huggingFaceTensors(), dtype: dtype, metadata: ["format": "pt"],
                                    to: folder.appendingPathComponent("model.safetensors"))
    }
}
