/// Majority vote over the extracted answers of k samples.
///
/// Answers that could not be extracted (`nil`) do not vote. Ties are broken deterministically in favour
/// of the answer that appeared first in sample order, so the result depends only on the samples.
public enum MajorityVote {
    /// The winning normalised answer, or `nil` when no sample produced an answer.
    public static func winner(of answers: [String?]) -> String? {
        var counts: [String: Int] = [:]
        var firstSeen: [String: Int] = [:]
        for (index, answer) in answers.enumerated() {
            guard let answer else { continue }
            counts[answer, default: 0] += 1
            if firstSeen[answer] == nil { firstSeen[answer] = index }
        }
        return counts.max { lhs, rhs in
            if lhs.value != rhs.value { return lhs.value < rhs.value }
            // Equal counts: the later first occurrence is the "smaller" one.
            return firstSeen[lhs.key, default: 0] > firstSeen[rhs.key, default: 0]
        }?.key
    }
}
