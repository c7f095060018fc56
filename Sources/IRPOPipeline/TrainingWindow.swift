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

    private static func means(_ rows: ArraySlice<StepMetrics>) -> Means {
        let count = Double(rows.count)
        let rejected = rows.compactMap(\.logpsRejected)
        return Means(loss: rows.reduce(0) { $0 + $1.loss } / count,
                     logpsChosen: rows.reduce(0) { $0 + $1.logpsChosen } / count,
                     logpsRejected: rejected.count == rows.count ? rejected.reduce(0, +) / count : nil)
    }
}
