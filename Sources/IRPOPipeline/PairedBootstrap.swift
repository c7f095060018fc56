import IRPOTasks

/// A paired bootstrap confidence interval for the difference in accuracy between two models
/// evaluated on the same questions: questions are resampled with replacement, and the difference
/// of the two accuracies on each resample gives the interval's percentiles. Seeded, so the interval
/// is the same on every run.
public struct PairedBootstrap: Sendable, Equatable {
    /// Accuracy of the second model minus the first on all questions (a fraction, e.g. 0.12).
    public var difference: Double
    /// The 2.5th percentile of the resampled differences.
    public var low: Double
    /// The 97.5th percentile.
    public var high: Double
    /// Resamples drawn.
    public var resamples: Int
    /// Questions.
    public var questions: Int

    /// The interval of `after - before`, where `before[i]` and `after[i]` say whether each model
    /// answered question i correctly. nil when the lists are empty or of different lengths.
    public init?(before: [Bool], after: [Bool], resamples: Int = 10_000, seed: UInt64 = 0x5EED) {
        let n = before.count
        guard n > 0, after.count == n, resamples >= 10 else { return nil }
        // Per question: +1 (only after right), -1 (only before right), 0.
        let deltas = zip(before, after).map { (b, a) -> Int in (a ? 1 : 0) - (b ? 1 : 0) }
        difference = Double(deltas.reduce(0, +)) / Double(n)
        var random = SplitMix64(seed: seed)
        var samples: [Double] = []
        samples.reserveCapacity(resamples)
        for _ in 0..<resamples {
            var sum = 0
            for _ in 0..<n { sum += deltas[random.uniform(in: 0...(n - 1))] }
            samples.append(Double(sum) / Double(n))
        }
        samples.sort()
        low = samples[Int(Double(resamples - 1) * 0.025)]
        high = samples[Int(Double(resamples - 1) * 0.975)]
        self.resamples = resamples
        questions = n
    }

    /// "+12.3 points (95% interval +8.1 to +16.5)".
    public var description: String {
        func points(_ value: Double) -> String { (value >= 0 ? "+" : "") + String(format: "%.1f", value * 100) }
        return "\(points(difference)) points (paired bootstrap 95% interval \(points(low)) to \(points(high)), \(questions) questions, \(resamples) resamples)"
    }
}
