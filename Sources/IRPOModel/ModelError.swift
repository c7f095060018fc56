import Foundation

/// Errors from building, loading, saving or running a model on outside input.
///
/// Every message names the file, key, tensor or value at fault and ends with what to do next.
public enum ModelError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A configuration key holds a value this engine cannot use.
    case invalidConfiguration(key: String, value: String, reason: String)
    /// `config.json` could not be read or parsed.
    case malformedConfiguration(file: String, reason: String)
    /// A checkpoint lacks a tensor the configuration needs.
    case missingTensor(name: String, folder: String)
    /// A checkpoint tensor has the wrong shape.
    case shapeMismatch(name: String, folder: String, expected: [Int], found: [Int])
    /// A model path is neither an HF folder nor a supported file.
    case unsupportedModelPath(path: String, reason: String)
    /// A batch handed to the model is not usable (ids out of range, mismatched mask, ...).
    case invalidInput(String)
    /// A LoRA adapter folder (PEFT's files) cannot be used.
    case malformedAdapter(file: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidConfiguration(key, value, reason):
            return "config key \(key) = \(value): \(reason); fix config.json or the configuration you passed"
        case let .malformedConfiguration(file, reason):
            return "\(file): \(reason); fix or regenerate config.json (e.g. with transformers' save_pretrained)"
        case let .missingTensor(name, folder):
            return "\(folder): tensor \(name) is missing, but the configuration needs it; check that the checkpoint matches config.json"
        case let .shapeMismatch(name, folder, expected, found):
            return "\(folder): tensor \(name) has shape \(found), but config.json implies \(expected); check that the checkpoint matches config.json"
        case let .unsupportedModelPath(path, reason):
            return "\(path): \(reason)"
        case let .invalidInput(message):
            return message
        case let .malformedAdapter(file, reason):
            return "\(file): \(reason); use plain LoRA adapters saved by PEFT's save_pretrained (or by irpo) for this model"
        }
    }
}

extension ModelError: LocalizedError {
    public var errorDescription: String? { description }
}
