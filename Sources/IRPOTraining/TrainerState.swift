/// The non-tensor part of a checkpoint (`trainer_state.json`): where the run is, the data
/// order, the generator, and checksums that tie the checkpoint to its model, optimizer
/// moments (`optimizer.bin`) and examples.
public struct TrainerState: Codable, Sendable, Equatable {
    /// Format tag.
    public var format: String
    /// Optimizer steps completed.
    public var step: Int
    /// Full epochs completed.
    public var epochIndex: Int
    /// Steps done in the current epoch.
    public var stepInEpoch: Int
    /// The current epoch's example order (empty at an epoch boundary: the next epoch is drawn
    /// from `generator`).
    public var order: [Int]
    /// The data-order generator's state words, as 16-digit hex strings.
    public var generator: [String]
    /// AdamW's step counter.
    public var optimizerStep: Int
    /// Number of parameters.
    public var parameterCount: Int
    /// `Checksum` of the parameters at this step.
    public var parameterChecksum: String
    /// `Checksum` of the first then second moments.
    public var optimizerChecksum: String
    /// `Checksum.of(examples)`.
    public var examplesChecksum: String
    /// The run's settings.
    public var configuration: TrainerConfiguration

    /// The current format tag.
    public static let formatTag = "irpo-trainer-state-v1"

    enum CodingKeys: String, CodingKey {
        case format, step, order, generator, configuration
        case epochIndex = "epoch_index"
        case stepInEpoch = "step_in_epoch"
        case optimizerStep = "optimizer_step"
        case parameterCount = "parameter_count"
        case parameterChecksum = "parameter_checksum"
        case optimizerChecksum = "optimizer_checksum"
        case examplesChecksum = "examples_checksum"
    }

    /// The names of the settings that differ between two configurations, ignoring the
    /// checkpoint interval and limit (which do not affect the weights).
    static func differences(_ a: TrainerConfiguration, _ b: TrainerConfiguration) -> [String] {
        var a = a, b = b
        a.checkpointEvery = 0; b.checkpointEvery = 0
        a.checkpointLimit = 1; b.checkpointLimit = 1
        let left = Mirror(reflecting: a).children, right = Mirror(reflecting: b).children
        return zip(left, right).compactMap { l, r in
            String(describing: l.value) == String(describing: r.value) ? nil : "\(l.label ?? "?") (\(r.value) in the checkpoint, \(l.value) now)"
        }
    }
}
