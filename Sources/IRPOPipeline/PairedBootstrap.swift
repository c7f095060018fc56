import IRPOTasks

/// A paired bootstrap confidence interval for the difference in accuracy between two models
/// evaluated on the same questions: questions are resampled with replacement, and the difference
/// of the two accuracies on each resample gives the interval's percentiles. Seeded, so the interval
/// is the same on every run.
///
/// Questions that share a problem structure (a synthetic task's "7|+4" asked with other names and
/// objects) are not independent draws: a model tends to get all of them right or all wrong. Given
/// a group key per question, the bootstrap resamples whole groups (a cluster bootstrap), and the
/// interval reflects how many distinct problems the split really holds.
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
    /// Groups resampled whole (nil: each question was resampled on its own).
    public var groups: Int?

    /// The interval of `after - before`, where `before[i]` and `after[i]` say whether each model
    /// answered question i correctly. With `groups` (one key per question, e.g. its problem
    /// structure), each resample draws as many groups as there are, with replacement, and takes
    /// the difference over the questions of the drawn groups. nil when the lists are empty or of
    /// different lengths.
    public init?(before: [Bool], after: [Bool], groups keys: [String]? = nil, resamples: Int = 10_000, seed: UInt64 = 0x5EED) {
        let n = before.count
        guard n > 0, after.count == n, resamples >= 10, keys.map({ $0.count == n }) ?? true else { return nil }
        // Per question: +1 (only after right), -1 (only before right), 0.
        let deltas = zip(before, after).map { (b, a) -> Int in (a ? 1 : 0) - (b ? 1 : 0) }
        difference = Double(deltas.reduce(0, +)) / Double(n)
        // Per group (in order of first appearance): the sum of its deltas and its size. Without
        // keys every question is its own group, which draws exactly the per-question bootstrap.
        var sums = deltas, sizes = [Int](repeating: 1, count: n)
        if let keys {
            var index: [String: Int] = [:]
            sums = []
            sizes = []
            for (key, delta) in zip(keys, deltas) {
                if let group = index[key] {
                    sums[group] += delta
                    sizes[group] += 1
                } else {
                    index[key] = sums.count
                    sums.append(delta)
                    sizes.append(1)
                }
            }
        }
        let count = sums.count
        var random = SplitMix64(seed: seed)
        var samples: [Double] = []
        samples.reserveCapacity(resamples)
        for _ in 0..<resamples {
            var sum = 0, size = 0
            for _ in 0..<count {
                let group = random.uniform(in: 0...(count - 1))
                sum += sums[group]
                size += sizes[group]
            }
            samples.append(Double(sum) / Double(size))
        }
        samples.sort()
        low = samples[Int(Double(resamples - 1) * 0.025)]
        high = samples[Int(Double(resamples - 1) * 0.975)]
        self.resamples = resamples
        questions = n
        groups = keys == nil ? nil : count
    }

    /// "+12.3 points (paired bootstrap 95% interval +8.1 to +16.5, 400 questions, 10000 resamples)";
    /// grouped: "... 95% interval +2.0 to +20.1 resampling 26 problem structures of 1000 questions, ...".
    public var description: String {
        func points(_ value: Double) -> String { (value >= 0 ? "+" : "") + String(format: "%.1f", value * 100) }
        let over = groups.map { "resampling \($0) problem structures of \(questions) questions" } ?? "\(questions) questions"
        return "\(points(difference)) points (paired bootstrap 95% interval \(points(low)) to \(points(high)), \(over), \(resamples) resamples)"
    }
}
