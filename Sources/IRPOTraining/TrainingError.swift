/// Errors of the training module. Every message names the file, line, step or value at fault
/// and what to do next.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// A configuration value is out of range.
    case invalidConfiguration(String)
    /// A data file (pairs, SFT rows, reference cache) is malformed.
    case invalidData(file: String, line: Int?, message: String)
    /// The loss or the gradient stopped being finite.
    case nonFinite(step: Int, what: String, checkpoint: String?)
    /// A checkpoint cannot be read or does not fit the run.
    case checkpoint(path: String, message: String)
    /// The model failed (forward, backward or save).
    case model(String)

    public var description: String {
        switch self {
        case let .invalidConfiguration(message):
            return "invalid training configuration: \(message)"
        case let .invalidData(file, line, message):
            if let line { return "\(file):\(line): \(message)" }
            return "\(file): \(message)"
        case let .nonFinite(step, what, checkpoint):
            let resume = checkpoint.map { "the last good checkpoint is \($0); resume from it with a lower learning rate or check the data" }
                ?? "no checkpoint was written yet; lower the learning rate or check the data"
            return "training stopped at step \(step): \(what) is not finite (NaN or infinity); the parameters were not updated; \(resume)"
        case let .checkpoint(path, message):
            return "checkpoint \(path): \(message)"
        case let .model(message):
            return "model: \(message)"
        }
    }
}
