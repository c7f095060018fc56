/// Sequences laid out for one pass over `T = B * S` rows, S the longest length (shorter
/// sequences are right-padded with id 0): the one place a batch is packed, for the training and
/// scoring passes and for `logits`.
struct PackedBatch {
    /// B, the number of sequences.
    let batchSize: Int
    /// S, the longest sequence's length.
    let sequenceLength: Int
    /// Token ids `[T]` (row `b * S + t` holds token t of sequence b; padding 0).
    let ids: [Int32]
    /// Positions `[T]`: `t` in row `b * S + t`, padding included.
    let positions: [Int32]
    /// True lengths `[B]`.
    let lengths: [Int32]
    /// Scored rows: the row `b * S + t - 1` whose output predicts token t of sequence b, in
    /// sequence and position order, with that token (`targets`) and its sequence
    /// (`scoredSequence`).
    let scoredRows: [Int32]
    let targets: [Int32]
    let scoredSequence: [Int]

    /// T = B * S.
    var tokens: Int { batchSize * sequenceLength }

    /// Packs `batch` (validated: `TokenBatch.validate`); token t of sequence b is scored when
    /// `batch.scoreMasks[b][t]`.
    init(_ batch: TokenBatch) {
        let b = batch.count, s = batch.maxLength
        var ids = [Int32](repeating: 0, count: b * s)
        var positions = [Int32](repeating: 0, count: b * s)
        var lengths = [Int32](repeating: 0, count: b)
        var scoredRows: [Int32] = [], targets: [Int32] = [], scoredSequence: [Int] = []
        let scored = batch.scoredTokenCount
        scoredRows.reserveCapacity(scored)
        targets.reserveCapacity(scored)
        scoredSequence.reserveCapacity(scored)
        for (index, sequence) in batch.sequences.enumerated() {
            lengths[index] = Int32(sequence.count)
            for position in 0..<s { positions[index * s + position] = Int32(position) }
            for (position, id) in sequence.enumerated() {
                ids[index * s + position] = id
                if batch.scoreMasks[index][position] {
                    scoredRows.append(Int32(index * s + position - 1))
                    targets.append(id)
                    scoredSequence.append(index)
                }
            }
        }
        batchSize = b
        sequenceLength = s
        self.ids = ids
        self.positions = positions
        self.lengths = lengths
        self.scoredRows = scoredRows
        self.targets = targets
        self.scoredSequence = scoredSequence
    }

    /// The rows of every real (unpadded) position, sequence after sequence.
    var unpaddedRows: [Int32] {
        var rows: [Int32] = []
        rows.reserveCapacity(lengths.reduce(0) { $0 + Int($1) })
        for (index, length) in lengths.enumerated() {
            for position in 0..<Int(length) { rows.append(Int32(index * sequenceLength + position)) }
        }
        return rows
    }
}
