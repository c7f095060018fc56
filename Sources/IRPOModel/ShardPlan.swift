/// How `LlamaModel.forward(_:savingForBackward:shards:)` splits a batch: into `lanes` that run
/// side by side (one per thread), each lane a list of parts that run one after the other, each
/// part a few sequences of similar length that are padded to the longest of them.
///
/// Why parts: a preference batch mixes short winners (a gold solution of a dozen tokens) with
/// long losers (a rambling sample at the token limit). Padded together, the short rows would
/// cost as much as the long ones; cut into parts of similar length, almost no padding is
/// computed. Why lanes balanced by tokens: two halves of unequal work leave one core idle.
///
/// The plan depends only on the sequence lengths and the lane count, never on the number of
/// threads, so a sharded pass gives the same numbers with any thread count.
public struct ShardPlan: Equatable, Sendable {
    /// `lanes[l][p]`: the batch indices of part `p` of lane `l`, in increasing order. Every
    /// sequence is in exactly one part; no lane and no part is empty.
    public let lanes: [[[Int]]]

    /// A sequence joins the current part while the part's longest sequence is at most this
    /// factor longer, so padding is at most about 1/8 of a part's rows.
    static let paddingTolerance = (numerator: 8, denominator: 7)

    public init(lanes: [[[Int]]]) {
        self.lanes = lanes
    }

    /// The plan for sequences of `lengths` on at most `lanes` lanes.
    ///
    /// Sequences are taken longest first (ties: lower index first) and each goes to the lane
    /// with the fewest tokens so far (ties: the lower lane), which balances the lanes' work.
    /// Within a lane, consecutive sequences (still longest first) share a part while the part's
    /// first, longest one is within `paddingTolerance` of them.
    public static func make(lengths: [Int], lanes: Int) -> ShardPlan {
        precondition(lanes >= 1, "ShardPlan needs at least one lane")
        let order = lengths.indices.sorted { a, b in lengths[a] != lengths[b] ? lengths[a] > lengths[b] : a < b }
        var members = [[Int]](repeating: [], count: min(lanes, lengths.count))
        var totals = [Int](repeating: 0, count: members.count)
        for index in order {
            var lane = 0
            for candidate in totals.indices where totals[candidate] < totals[lane] { lane = candidate }
            members[lane].append(index)
            totals[lane] += lengths[index]
        }
        let planned = members.map { sequences -> [[Int]] in
            var parts: [[Int]] = []
            var current: [Int] = []
            for index in sequences {
                if let first = current.first,
                   lengths[first] * paddingTolerance.denominator > lengths[index] * paddingTolerance.numerator {
                    parts.append(current.sorted())
                    current = []
                }
                current.append(index)
            }
            if !current.isEmpty { parts.append(current.sorted()) }
            return parts
        }
        return ShardPlan(lanes: planned)
    }

    /// Number of sequences planned.
    public var sequenceCount: Int { lanes.reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } } }
}
