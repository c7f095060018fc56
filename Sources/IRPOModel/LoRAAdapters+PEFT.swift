import Foundation
import IRPOFormats

extension LoRAAdapters {
    /// File name of PEFT's adapter settings.
    public static let peftConfigFileName = "adapter_config.json"
    /// File name of PEFT's adapter weights.
    public static let peftWeightsFileName = "adapter_model.safetensors"

    /// PEFT's name of `adapter`'s `A` (`"lora_A"`) or `B` (`"lora_B"`) weight, as
    /// `PeftModel.save_pretrained` writes it for a causal LM
    /// (`base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight`).
    public static func peftTensorName(_ adapter: LoRALayout.Adapter, matrix: String) -> String {
        "base_model.model.model.layers.\(adapter.layer).\(adapter.target.modulePath).\(matrix).weight"
    }

    /// The `adapter_config.json` object PEFT reads (`LoraConfig` fields; keys it does not know
    /// are not written).
    public func peftConfiguration(baseModel: String?) -> [String: Any] {
        [
            "peft_type": "LORA",
            "task_type": "CAUSAL_LM",
            "r": configuration.rank,
            "lora_alpha": configuration.alpha,
            "lora_dropout": configuration.dropout,
            "target_modules": configuration.targets.map(\.rawValue),
            "bias": "none",
            "fan_in_fan_out": false,
            "inference_mode": true,
            "init_lora_weights": true,
            "use_rslora": false,
            "use_dora": false,
            "modules_to_save": NSNull(),
            "layers_to_transform": NSNull(),
            "base_model_name_or_path": baseModel.map { $0 as Any } ?? NSNull(),
        ]
    }

    /// Writes `adapter_config.json` and `adapter_model.safetensors` (F32) into `folder` (created
    /// if missing), the files `peft.PeftModel.from_pretrained(base, folder)` loads.
    /// `baseModel` goes to `base_model_name_or_path`.
    /// - Throws: `ModelError.unsupportedModelPath` or `FormatError` naming the path.
    public func savePEFT(to folder: URL, baseModel: String?) throws {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw ModelError.unsupportedModelPath(path: folder.path, reason: "cannot create the folder (\(error.localizedDescription)); check the path and permissions")
        }
        let configURL = folder.appendingPathComponent(Self.peftConfigFileName)
        do {
            let data = try JSONSerialization.data(withJSONObject: peftConfiguration(baseModel: baseModel),
                                                  options: [.prettyPrinted, .sortedKeys])
            try data.write(to: configURL, options: .atomic)
        } catch {
            throw ModelError.unsupportedModelPath(path: configURL.path, reason: "cannot be written (\(error.localizedDescription)); check free space and permissions")
        }
        var tensors: [SafetensorsWriter.Tensor] = []
        for adapter in layout.adapters {
            tensors.append(SafetensorsWriter.Tensor(name: Self.peftTensorName(adapter, matrix: "lora_A"),
                                                    shape: [layout.rank, adapter.inputWidth],
                                                    values: UnsafeBufferPointer(weights.a(adapter))))
            tensors.append(SafetensorsWriter.Tensor(name: Self.peftTensorName(adapter, matrix: "lora_B"),
                                                    shape: [adapter.outputWidth, layout.rank],
                                                    values: UnsafeBufferPointer(weights.b(adapter))))
        }
        try SafetensorsWriter.write(tensors, dtype: .f32, metadata: ["format": "pt"],
                                    to: folder.appendingPathComponent(Self.peftWeightsFileName))
    }

    /// Reads PEFT LoRA adapters from `folder` for a model with `model`'s shapes.
    ///
    /// Only what this engine computes is accepted: plain LoRA (no DoRA, rsLoRA, bias, fan-in/fan-out
    /// or layer subsets) on the decoder projections; every expected tensor must be present with
    /// its shape and no other tensor may be.
    /// - Throws: `ModelError` naming the file, key or tensor at fault, `FormatError` for a damaged
    ///   safetensors file.
    public static func loadPEFT(from folder: URL, model: LlamaConfiguration) throws -> LoRAAdapters {
        let configURL = folder.appendingPathComponent(peftConfigFileName)
        guard FileManager.default.fileExists(atPath: configURL.path) else {
            throw ModelError.malformedAdapter(file: configURL.path, reason: "is missing; a PEFT adapter folder holds adapter_config.json and adapter_model.safetensors")
        }
        let data = try LlamaConfiguration.readData(contentsOf: configURL)
        let lora = try peftLoRAConfiguration(data, file: configURL.path)
        guard LoRALayout.checkedCount(model: model, lora: lora) != nil else {
            throw ModelError.invalidConfiguration(key: "lora.rank", value: String(lora.rank), reason: "is too large for this model")
        }
        let layout = LoRALayout(model: model, lora: lora)
        let weightsURL = folder.appendingPathComponent(peftWeightsFileName)
        guard FileManager.default.fileExists(atPath: weightsURL.path) else {
            throw ModelError.malformedAdapter(file: weightsURL.path, reason: "is missing; a PEFT adapter folder holds adapter_config.json and adapter_model.safetensors")
        }
        // Every tensor is checked against the file before anything is allocated: the rank in
        // adapter_config.json cannot ask for more memory than the file holds.
        let file = try SafetensorsFile(contentsOf: weightsURL)
        var expected: [(name: String, shape: [Int])] = []
        for adapter in layout.adapters {
            expected.append((peftTensorName(adapter, matrix: "lora_A"), [lora.rank, adapter.inputWidth]))
            expected.append((peftTensorName(adapter, matrix: "lora_B"), [adapter.outputWidth, lora.rank]))
        }
        for (name, shape) in expected {
            guard let info = file.info(name) else {
                throw ModelError.malformedAdapter(
                    file: weightsURL.path,
                    reason: "has no tensor \(name), which adapter_config.json's target_modules call for (adapters on every layer are expected)")
            }
            guard info.shape == shape else {
                throw ModelError.malformedAdapter(
                    file: weightsURL.path,
                    reason: "tensor \(name) has shape \(info.shape), but adapter_config.json (r = \(lora.rank)) and the model imply \(shape); check that the adapters belong to this model")
            }
        }
        let names = Set(expected.map(\.name))
        if let extra = file.tensorNames.first(where: { !names.contains($0) }) {
            throw ModelError.malformedAdapter(
                file: weightsURL.path,
                reason: "holds tensor \(extra), which these adapters (targets \(lora.targets.map(\.rawValue).joined(separator: ", ")), \(model.layerCount) layers) do not have; only plain LoRA on the decoder projections is supported")
        }
        let adapters = try LoRAAdapters(model: model, lora: lora)
        for adapter in adapters.layout.adapters {
            try file.readFloats(peftTensorName(adapter, matrix: "lora_A"), into: adapters.weights.a(adapter))
            try file.readFloats(peftTensorName(adapter, matrix: "lora_B"), into: adapters.weights.b(adapter))
        }
        return adapters
    }

    /// The LoRA settings of an `adapter_config.json`, refusing what this engine does not compute.
    static func peftLoRAConfiguration(_ data: Data, file: String) throws -> LoRAConfiguration {
        func fail(_ reason: String) -> ModelError { .malformedAdapter(file: file, reason: reason) }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw fail("is not a JSON object")
        }
        guard (object["peft_type"] as? String)?.uppercased() == "LORA" else {
            throw fail("peft_type is \(object["peft_type"].map { "\($0)" } ?? "missing"), not LORA; only LoRA adapters are supported")
        }
        guard let rankNumber = object["r"] as? NSNumber, let rank = Int(exactly: rankNumber.doubleValue) else {
            throw fail("r (the rank) must be a whole number")
        }
        guard let alphaNumber = object["lora_alpha"] as? NSNumber else { throw fail("lora_alpha must be a number") }
        for flag in ["use_dora", "use_rslora", "fan_in_fan_out", "lora_bias", "use_qalora"] where (object[flag] as? Bool) == true {
            throw fail("\(flag) is true, which this engine does not compute; export plain LoRA adapters")
        }
        if let bias = object["bias"] as? String, bias != "none" {
            throw fail("bias is \(bias); only bias \"none\" is supported")
        }
        for key in ["layers_to_transform", "modules_to_save", "rank_pattern", "alpha_pattern", "layer_replication",
                    "target_parameters", "trainable_token_indices"] {
            if let value = object[key], !(value is NSNull) {
                if let map = value as? [String: Any], map.isEmpty { continue }
                if let list = value as? [Any], list.isEmpty { continue }
                throw fail("\(key) is set, which this engine does not support; export adapters with the same rank on every target")
            }
        }
        let names: [String]
        if let single = object["target_modules"] as? String {
            names = [single]
        } else if let list = object["target_modules"] as? [String] {
            names = list
        } else {
            throw fail("target_modules must be a list of module names or \"all-linear\"")
        }
        // lora_dropout only acts in training passes; it is kept so a resumed run trains as before.
        var dropout = 0.0
        if let value = object["lora_dropout"], !(value is NSNull) {
            guard let number = value as? NSNumber, number.doubleValue.isFinite, number.doubleValue >= 0, number.doubleValue < 1 else {
                throw fail("lora_dropout must be a number in [0, 1)")
            }
            dropout = number.doubleValue
        }
        // PEFT may save `all-linear` expanded to module paths (`model.layers.0.self_attn.q_proj`);
        // the module name is the last component. Adapters missing on some layer are caught by
        // the tensor check.
        let modules = names.map { name in name.split(separator: ".").last.map(String.init) ?? name }
        let lora = LoRAConfiguration(rank: rank, alpha: alphaNumber.doubleValue, dropout: dropout,
                                     targets: try LoRAConfiguration.parseTargets(modules))
        try lora.validate()
        return lora
    }
}
