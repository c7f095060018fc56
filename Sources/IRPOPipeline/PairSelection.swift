import Foundation
import IRPOTasks
import IRPOTokenizer

/// Turns one iteration's scored samples into training pairs: `PairBuilder` per question (the
/// paper's round-robin), tokenisation, dropping pairs longer than the context, and a seeded cap.
public enum PairSelection {
    /// The pairs (in question order, or a seeded subset in that order) and their statistics.
    public static func build(items: [TaskItem], scored: [ScoredRecord], prompt: PromptFormatter, settings: RunConfig.Pairs,
                             maxLength: Int, tokenizer: any TextTokenizer, seed: UInt64) throws -> ([PairRecord], PairStatistics) {
        var samplesByQuestion: [String: [ScoredSample]] = [:]
        var correct = 0
        for row in scored {
            samplesByQuestion[row.questionID, default: []].append(
                ScoredSample(completion: row.completion, reward: row.reward, sampleIndex: row.sampleIndex))
            if row.reward > 0.5 { correct += 1 }
        }
        let builder = PairBuilder(pairsPerQuestion: settings.pairsPerQuestion, goldAsWinner: settings.goldAsWinner)
        var statistics = PairStatistics()
        statistics.questions = items.count
        statistics.sampleAccuracy = scored.isEmpty ? 0 : Double(correct) / Double(scored.count)
        var records: [PairRecord] = []
        for item in items {
            let samples = (samplesByQuestion[item.id] ?? []).sorted { ($0.sampleIndex ?? 0) < ($1.sampleIndex ?? 0) }
            let promptText = try prompt.render(item: item)
            let gold = item.goldSolution.map { prompt.completionSeparator + $0 }
            switch builder.pairs(questionID: item.id, prompt: promptText, samples: samples, goldSolution: gold) {
            case let .failure(skip):
                if skip.reason == .noLoser { statistics.skippedNoLoser += 1 } else { statistics.skippedNoWinner += 1 }
            case let .success(pairs):
                let promptIDs = tokenizer.encodePrompt(promptText)
                var kept = 0
                for pair in pairs {
                    let chosenIDs = tokenizer.encodeCompletion(pair.chosen.completion)
                    let rejectedIDs = tokenizer.encodeCompletion(pair.rejected.completion)
                    guard promptIDs.count + max(chosenIDs.count, rejectedIDs.count) <= maxLength else {
                        statistics.droppedTooLong += 1
                        continue
                    }
                    kept += 1
                    records.append(PairRecord(
                        prompt: promptText, chosen: pair.chosen.completion, rejected: pair.rejected.completion,
                        questionID: item.id, chosenSampleIndex: pair.chosen.sampleIndex, rejectedSampleIndex: pair.rejected.sampleIndex,
                        promptIDs: promptIDs, chosenIDs: chosenIDs, rejectedIDs: rejectedIDs))
                }
                if kept > 0 { statistics.questionsWithPairs += 1 }
            }
        }
        if records.count > settings.maxPairs {
            statistics.droppedByCap = records.count - settings.maxPairs
            records = subsample(records, keeping: settings.maxPairs, seed: seed)
        }
        statistics.pairs = records.count
        return (records, statistics)
    }

    /// A seeded random subset of `count` rows, in their original order.
    static func subsample<T>(_ rows: [T], keeping count: Int, seed: UInt64) -> [T] {
        var indices = Array(rows.indices)
        var state = seed
        // Fisher-Yates with SplitMix64.
        for i in stride(from: indices.count - 1, to: 0, by: -1) {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            indices.swapAt(i, Int(z % UInt64(i + 1)))
        }
        return indices.prefix(count).sorted().map { rows[$0] }
    }
}
