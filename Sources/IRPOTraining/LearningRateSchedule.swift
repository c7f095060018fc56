import Foundation

/// Learning-rate schedules, as Hugging Face's `get_*_schedule_with_warmup` define them. The
/// learning rate of the update that follows `completedSteps` earlier updates is
/// `rate(afterCompletedSteps:)`; with warmup the first update therefore uses 0, as in HF.
public struct LearningRateSchedule: Codable, Sendable, Equatable {
    /// The shape after warmup.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// Constant peak rate after warmup (`constant_with_warmup`; `constant` when warmup is 0).
        case constant
        /// Linear decay from the peak to 0 at `totalSteps` (`linear`).
        case linear
        /// Half-cosine decay from the peak to 0 at `totalSteps` (`cosine`).
        case cosine
    }

    /// The shape.
    public var kind: Kind
    /// Peak learning rate.
    public var peak: Double
    /// Number of linear warmup steps from 0 to the peak.
    public var warmupSteps: Int
    /// Total number of optimizer steps (the end of the decay).
    public var totalSteps: Int

    /// Memberwise init.
    public init(kind: Kind = .constant, peak: Double, warmupSteps: Int = 0, totalSteps: Int) {
        self.kind = kind
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    /// The learning rate of the update that follows `step` completed updates.
    public func rate(afterCompletedSteps step: Int) -> Double {
        if step < warmupSteps {
            return peak * Double(step) / Double(max(1, warmupSteps))
        }
        switch kind {
        case .constant:
            return peak
        case .linear:
            let remaining = Double(totalSteps - step) / Double(max(1, totalSteps - warmupSteps))
            return peak * max(0, remaining)
        case .cosine:
            let progress = Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
            return peak * max(0, 0.5 * (1 + Foundation.cos(Double.pi * progress)))
        }
    }

    /// Checks the values; the message names the bad one.
    public func validate() throws {
        guard peak.isFinite, peak >= 0 else { throw TrainingError.invalidConfiguration("learning rate \(peak) must be finite and >= 0") }
        guard warmupSteps >= 0 else { throw TrainingError.invalidConfiguration("warmup steps \(warmupSteps) must be >= 0") }
        guard totalSteps >= 1 else { throw TrainingError.invalidConfiguration("total steps \(totalSteps) must be >= 1") }
    }
}
