import Foundation
import IRPOFormats
import IRPOLoading
import IRPOModel
import IRPOTasks

/// One row of a baseline's `pairs.jsonl` when it is trained on gold solutions: an SFT row
/// (`prompt`/`completion` plus token ids) that the trainer reads with the `sft` loss.
struct GoldSFTRecord: Codable, Equatable {
    var prompt: String
    var completion: String
    var questionID: String
    var promptIDs: [Int32]
    var completionIDs: [Int32]
    enum CodingKeys: String, CodingKey {
        case prompt, completion
        case questionID = "question_id"
        case promptIDs = "prompt_ids"
        case completionIDs = "completion_ids"
    }
}

extension IterativeRun {
    /// Makes this (one-iteration) run start from iteration 1's data of the RPO run in `source`:
    /// copies `data/`, the questions, samples, scores, pair statistics, pairs and reference
    /// log-probs (nothing is sampled again), or, for `.sftGold`, writes the gold solutions of the
    /// same questions as SFT rows; then records the copied stages as done. Does nothing when that
    /// was done before.
    /// - Throws: `PipelineError` when the RPO run has not finished iteration 1's refcache stage, or
    ///   no question has a gold solution (`.sftGold`).
    func adoptIterationOne(from source: RunDirectory, baseline: Baseline) throws {
        let adopted = ["data", "iter-1/sample", "iter-1/score", "iter-1/pair", "iter-1/refcache"]
        guard !adopted.allSatisfy(state.isDone) else { return }
        guard try source.loadState().isDone("iter-1/refcache") else {
            throw PipelineError("\(source.root.path) has not finished iter-1/refcache, whose pairs the \(baseline.rawValue) baseline reuses; run the RPO run first")
        }
        for split in Set(config.evaluation.splits + ["test", RunDirectory.selectionSplit]) {
            try Self.copyFromRun(source.dataURL(split: split), directory.dataURL(split: split))
        }
        var names = ["questions.jsonl", "samples.jsonl", "scored.jsonl"]
        if baseline != .sftGold { names += ["pairs.jsonl", "pair_stats.json", "ref_logps.json"] }
        for name in names { try Self.copyFromRun(source.file(name, iteration: 1), directory.file(name, iteration: 1)) }
        if baseline == .sftGold { try writeGoldSFTRows() }
        for name in adopted { state.markDone(name) }
        try directory.save(state)
        log("\(config.name): reusing iteration 1 of \(source.root.path)" + (baseline == .sftGold ? " (gold solutions of its questions)" : " (its pairs)"))
    }

    /// Writes iteration 1's gold solutions as SFT rows to `pairs.jsonl` (one per question, those
    /// longer than max_length dropped) and their counts to `pair_stats.json`.
    func writeGoldSFTRows() throws {
        let items = try JSONLines.read(TaskItem.self, from: directory.file("questions.jsonl", iteration: 1))
        let seed = try ModelSource(path: modelFolder(iteration: 0).path)
        let configuration = try seed.configuration()
        let tokenizer = try seed.textTokenizer(promptsIncludeSpecialTokens: config.task.chat)
        let maxLength = min(config.training.trainer.maxLength, configuration.maxPositionEmbeddings)
        var statistics = PairStatistics()
        statistics.questions = items.count
        var rows: [GoldSFTRecord] = []
        for item in items {
            guard let gold = item.goldSolution else { statistics.skippedNoWinner += 1; continue }
            let promptText = try prompt.render(item: item)
            let completion = prompt.completionSeparator + gold
            let promptIDs = tokenizer.encodePrompt(promptText)
            let completionIDs = tokenizer.encodeCompletion(completion)
            guard promptIDs.count + completionIDs.count <= maxLength else { statistics.droppedTooLong += 1; continue }
            rows.append(GoldSFTRecord(prompt: promptText, completion: completion, questionID: item.id,
                                      promptIDs: promptIDs, completionIDs: completionIDs))
        }
        guard !rows.isEmpty else {
            throw PipelineError("none of iteration 1's \(items.count) questions has a gold solution shorter than max_length (\(maxLength) tokens), so the sft-gold baseline has nothing to train on; leave it out of --baselines")
        }
        statistics.questionsWithPairs = rows.count
        statistics.pairs = rows.count
        try AtomicFileWriter.write(JSONLines.encode(rows), to: directory.file("pairs.jsonl", iteration: 1))
        try AtomicFileWriter.writeJSON(statistics, to: directory.file("pair_stats.json", iteration: 1))
    }
}
