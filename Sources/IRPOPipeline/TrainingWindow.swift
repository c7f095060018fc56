import Foundation
import IRPOTraining

/// A training stage's metrics at its start and its end, each the mean over a window of steps
/// (the first and the last 10%, at least one step): a single step's loss and log-probs come
/// from one batch of pairs, so comparing the first step with the last compares two batches.
struct TrainingWindow {
    /// Means over the first and the last window.
    struct Means {
        let loss: Double
        let logpsChosen: Double
        let logpsRejected: Double?
        /// beta * (log pi - log pi_ref) of the winners and losers (nil for SFT): on pairs the model
        /// has not trained on yet, so its sign says whether the policy's log-prob of such
        /// completions has risen or fallen from the reference model's.
        let rewardsChosen: Double?
        let rewardsRejected: Double?
    }

    let first: Means
    let last: Means

    /// Nil for no steps.
    init?(_ rows: [StepMetrics]) {
        guard !rows.isEmpty else { return nil }
        let size = max(1, rows.count / 10)
        first = Self.means(rows.prefix(size))
        last = Self.means(rows.suffix(size))
    }

    /// "a -> b" for the chosen log-probs.
    var chosen: String { String(format: "%.2f -> %.2f", first.logpsChosen, last.logpsChosen) }

    /// "a -> b" for the rejected log-probs, "-" without rejected completions (SFT).
    var rejected: String {
        guard let a = first.logpsRejected, let b = last.logpsRejected else { return "-" }
        return String(format: "%.2f -> %.2f", a, b)
    }

    /// The last window's rewards/chosen and rewards/rejected, "-" without them (SFT).
    var lastRewards: (chosen: String, rejected: String) {
        (last.rewardsChosen.map { String(format: "%+.4f", $0) } ?? "-", last.rewardsRejected.map { String(format: "%+.4f", $0) } ?? "-")
    }

    private static func means(_ rows: ArraySlice<StepMetrics>) -> Means {
        func mean(_ values: [Double]) -> Double? { values.count == rows.count ? values.reduce(0, +) / Double(rows.count) : nil }
        return Means(loss: rows.reduce(0) { $0 + $1.loss } / Double(rows.count),
                     logpsChosen: rows.reduce(0) { $0 + $1.logpsChosen } / Double(rows.count),
                     logpsRejected: mean(rows.compactMap(\.logpsRejected)),
                     rewardsChosen: mean(rows.compactMap(\.rewardsChosen)),
                     rewardsRejected: mean(rows.compactMap(\.rewardsRejected)))
    }
}
