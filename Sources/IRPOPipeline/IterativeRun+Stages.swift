import Foundation
import IRPOBackends
import IRPOFormats
import IRPOLoading
import IRPOModel
import IRPOTasks
import IRPOTensor
import IRPOTraining

extension IterativeRun {
    /// Writes `data/test.jsonl` (and `data/dev.jsonl`): the evaluation questions of the whole run.
    func prepareData() throws -> String {
        var counts: [String] = []
        for split in Set(config.evaluation.splits + ["test"]).sorted() {
            var items = try evaluationItems(split: split)
            if let limit = config.evaluation.limit { items = Array(items.prefix(limit)) }
            try AtomicFileWriter.write(JSONLines.encode(items), to: directory.dataURL(split: split))
            counts.append("\(items.count) \(split) questions")
        }
        if config.training.selectionQuestions > 0 {
            let items = try selectionItems()
            try AtomicFileWriter.write(JSONLines.encode(items), to: directory.dataURL(split: RunDirectory.selectionSplit))
            counts.append("\(items.count) held-out training questions for checkpoint selection")
        }
        return counts.joined(separator: ", ")
    }

    /// The held-out training questions that score checkpoints (`training.selection_questions`):
    /// for the synthetic task a separate draw of training questions without any question of the
    /// run's training pools; for a file task the last ones of `task.train`, which
    /// `trainingItems` leaves out.
    func selectionItems() throws -> [TaskItem] {
        let count = config.training.selectionQuestions
        if let task = syntheticTask {
            var pooled = Set<String>()
            for t in 1...config.iterations { pooled.formUnion(try trainingItems(iteration: t).map(\.question)) }
            let drawn = try task.generate(count: count + pooled.count, partition: .train, phrasing: .evaluation,
                                          seed: config.seed &+ 0x5E1EC7)
            return Array(drawn.lazy.filter { !pooled.contains($0.question) }.prefix(count))
        }
        guard let path = config.task.train else { throw PipelineError("no `task.train` file is configured") }
        let all = try kind.loadItems(path: path)
        guard all.count > count else {
            throw PipelineError("config key `training.selection_questions` has value \(count), but \(path) holds only \(all.count) questions; "
                + "hold out fewer so that some are left to train on")
        }
        return Array(all.suffix(count))
    }

    func evaluationItems(split: String) throws -> [TaskItem] {
        try config.evaluationItems(split: split)
    }

    /// The training questions of iteration `t`.
    func trainingItems(iteration t: Int) throws -> [TaskItem] {
        if let task = syntheticTask {
            let poolSeed = config.task.freshPoolPerIteration ? config.seed &+ UInt64(t) : config.seed
            return try task.generate(count: config.task.syntheticTrainQuestions, partition: .train, phrasing: .evaluation, seed: poolSeed)
        }
        guard let path = config.task.train else { throw PipelineError("no `task.train` file is configured") }
        let held = config.training.selectionQuestions
        guard held > 0 else { return try kind.loadItems(path: path, limit: config.task.trainLimit) }
        // The last `selection_questions` are held out to score checkpoints (selectionItems()).
        let kept = try kind.loadItems(path: path).dropLast(held)
        return Array(config.task.trainLimit.map { kept.prefix($0) } ?? kept)
    }

    /// Step 1: N completions per training question from M_{t-1} -> questions.jsonl, samples.jsonl.
    /// Each question's completions are appended to samples.partial.jsonl as soon as they are done;
    /// an interrupted stage samples only the questions missing there (a sample depends only on the
    /// seed, the question's index and the sample index, so the result is the same).
    func sample(iteration t: Int) throws -> String {
        let items = try trainingItems(iteration: t)
        try AtomicFileWriter.write(JSONLines.encode(items), to: directory.file("questions.jsonl", iteration: t))
        let parameters = config.sampling.parameters(iteration: t)
        let partialURL = directory.file("samples.partial.jsonl", iteration: t)
        var done = try partialSamples(at: partialURL, items: items)
        let missing = items.indices.filter { done[$0] == nil }
        if !done.isEmpty { log("iter-\(t)/sample: \(done.count) questions sampled earlier, \(missing.count) to go") }
        if !missing.isEmpty {
            let backend = try makeBackend(modelFolder(iteration: t - 1))
            let appender = try JSONLinesAppender(url: partialURL)
            _ = try backend.complete(prompts: missing.map { try prompt.render(item: items[$0]) }, promptIDs: missing,
                                     parameters: parameters, samplesPerPrompt: config.sampling.samplesPerQuestion,
                                     progress: { progress("iter-\(t) sample", $0, $1) },
                                     promptFinished: { local, completions in
                                         let index = missing[local]
                                         try appender.append(PartialSampleRecord(promptIndex: index, questionID: items[index].id,
                                                                                 completions: completions))
                                         done[index] = completions
                                         try interruptionPoint(.promptsSampled(iteration: t, prompts: done.count))
                                     })
        }
        // Rows come from what was written to samples.partial.jsonl, so an interrupted and an
        // uninterrupted stage build samples.jsonl from the same data.
        let outputs = try items.indices.map { index -> [BackendCompletion] in
            guard let row = done[index] else {
                throw PipelineError("the sampling backend did not return question \(items[index].id) of iteration \(t); rerun with --resume")
            }
            return row
        }
        var rows: [SampleRecord] = []
        for (item, completions) in zip(items, outputs) {
            for (index, completion) in completions.enumerated() {
                rows.append(SampleRecord(questionID: item.id, sampleIndex: index, completion: completion.text,
                                         tokens: completion.tokenCount, finishReason: completion.finishReason))
            }
        }
        try AtomicFileWriter.write(JSONLines.encode(rows), to: directory.file("samples.jsonl", iteration: t))
        try? FileManager.default.removeItem(at: partialURL)
        return "\(rows.count) completions for \(items.count) questions at temperature \(parameters.temperature)"
    }

    /// Step 2: rewards -> scored.jsonl.
    func score(iteration t: Int) throws -> String {
        let items = try JSONLines.read(TaskItem.self, from: directory.file("questions.jsonl", iteration: t))
        let byID = Dictionary(items.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let samples = try JSONLines.read(SampleRecord.self, from: directory.file("samples.jsonl", iteration: t))
        var correct = 0
        let rows = try samples.map { sample -> ScoredRecord in
            guard let item = byID[sample.questionID] else {
                throw PipelineError("samples.jsonl of iteration \(t) names question \(sample.questionID), which is not in questions.jsonl; delete iter-\(t) and rerun")
            }
            let result = reward.score(completion: sample.completion, item: item)
            if result.reward > 0.5 { correct += 1 }
            return ScoredRecord(questionID: sample.questionID, sampleIndex: sample.sampleIndex, completion: sample.completion,
                                reward: result.reward, outcome: result.outcome, extracted: result.extracted)
        }
        try AtomicFileWriter.write(JSONLines.encode(rows), to: directory.file("scored.jsonl", iteration: t))
        return "\(correct)/\(rows.count) samples correct (\(Self.percent(Double(correct) / Double(max(1, rows.count)))))"
    }

    /// Step 3: round-robin pairs -> pairs.jsonl, pair_stats.json.
    func pair(iteration t: Int) throws -> String {
        let items = try JSONLines.read(TaskItem.self, from: directory.file("questions.jsonl", iteration: t))
        let scored = try JSONLines.read(ScoredRecord.self, from: directory.file("scored.jsonl", iteration: t))
        let previous = try ModelSource(path: modelFolder(iteration: t - 1).path)
        let configuration = try previous.configuration()
        let tokenizer = try previous.textTokenizer(promptsIncludeSpecialTokens: config.task.chat)
        let (records, statistics) = try PairSelection.build(
            items: items, scored: scored, prompt: prompt, settings: config.pairs,
            maxLength: min(config.training.trainer.maxLength, configuration.maxPositionEmbeddings), tokenizer: tokenizer,
            seed: config.seed &+ UInt64(t))
        try AtomicFileWriter.writeJSON(statistics, to: directory.file("pair_stats.json", iteration: t))
        guard !records.isEmpty else {
            throw PipelineError("""
                iteration \(t): no question yielded a pair (\(statistics.questions) questions: \(statistics.skippedNoLoser) had no wrong \
                sample, \(statistics.skippedNoWinner) no correct one, \(statistics.droppedTooLong) pairs were longer than max_length); \
                sample more per question (sampling.samples_per_question), raise the temperature, set pairs.gold_as_winner, \
                or use harder/easier questions
                """)
        }
        try AtomicFileWriter.write(JSONLines.encode(records), to: directory.file("pairs.jsonl", iteration: t))
        return "\(statistics.pairs) pairs from \(statistics.questionsWithPairs)/\(statistics.questions) questions "
            + "(no loser \(statistics.skippedNoLoser), no winner \(statistics.skippedNoWinner), too long \(statistics.droppedTooLong), capped \(statistics.droppedByCap))"
    }

    func trainingExamples(iteration t: Int) throws -> [TrainingExample] {
        try PreferenceDataset(contentsOf: directory.file("pairs.jsonl", iteration: t)).tokenized()
    }

    /// Step 4a: log-probs of every pair under M_{t-1} -> ref_logps.json.
    func referenceLogProbs(iteration t: Int) throws -> String {
        let configuration = config.trainerConfiguration(pairCount: 1)
        guard configuration.objective.needsReference else { return "not needed by loss \(config.training.loss)" }
        guard config.externalTrainer == nil else { return "skipped: the external trainer computes its own reference log-probs" }
        let examples = try trainingExamples(iteration: t)
        let previous = try ModelSource(path: modelFolder(iteration: t - 1).path)
        let (_, reused) = try ReferenceLogProbs.cached(
            at: directory.file("ref_logps.json", iteration: t), examples: examples, referenceModel: previous.path,
            makeModel: { try LlamaTrainingModel(config.training.lora == nil ? previous.loadModel() : previous.loadFrozenBase()) }, progress: { progress("iter-\(t) refcache", $0, $1) })
        return "\(examples.count) pairs" + (reused ? " (cache reused)" : "")
    }

    /// Step 4b: M_t from M_{t-1} -> train/ (metrics.jsonl, checkpoints), model/.
    func train(iteration t: Int) throws -> String {
        let manager = FileManager.default
        let trainFolder = directory.file("train", iteration: t)
        let finalFolder = directory.file("model", iteration: t)
        let previous = modelFolder(iteration: t - 1)
        let examples = try trainingExamples(iteration: t)
        let configuration = config.trainerConfiguration(pairCount: examples.count, iteration: t)
        let reference = configuration.objective.needsReference && config.externalTrainer == nil
            ? try ReferenceLogProbs.load(from: directory.file("ref_logps.json", iteration: t)) : nil
        var summary = "already trained"
        if let external = config.externalTrainer, !manager.fileExists(atPath: trainFolder.appendingPathComponent("model/config.json").path) {
            // The command writes into train/external; only a checked model becomes train/model.
            let referenceURL = directory.file("ref_logps.json", iteration: t)
            let job = config.externalTrainerJob(iteration: t, inputModel: previous, pairs: directory.file("pairs.jsonl", iteration: t),
                                                referenceLogProbs: manager.fileExists(atPath: referenceURL.path) ? referenceURL : nil,
                                                output: trainFolder.appendingPathComponent("external"), pairCount: examples.count)
            log("iter-\(t)/train: running \(try external.arguments(for: job).joined(separator: " "))")
            try external.run(job: job) { line in
                log("  trainer: \(line)")
                appendLog("iter-\(t)/train trainer: \(line)")
            }
            try? manager.removeItem(at: trainFolder.appendingPathComponent("model"))
            try manager.moveItem(at: job.outputDirectory, to: trainFolder.appendingPathComponent("model"))
            summary = "external trainer on \(examples.count) pairs"
        } else if !manager.fileExists(atPath: trainFolder.appendingPathComponent("model/config.json").path) {
            let checkpoint = Trainer<LlamaTrainingModel>.latestCheckpoint(in: trainFolder)
            if checkpoint == nil { try? manager.removeItem(at: trainFolder) }
            if let lora = try config.training.lora?.configuration() {
                // New adapters on the frozen M_{t-1} (a resumed run reloads them from the checkpoint);
                // a quantised GGUF M_{t-1} keeps its projections quantised in memory.
                let model = try LoRATrainingModel(base: ModelSource(path: previous.path).loadFrozenBase(), baseModelName: previous.path,
                                                  lora: lora, seed: config.seed &+ UInt64(t),
                                                  resumeFrom: checkpoint?.appendingPathComponent("model"),
                                                  recomputingLayers: config.training.gradientCheckpointing)
                summary = try runBuiltinTrainer(model: model, iteration: t, examples: examples, reference: reference,
                                                configuration: configuration, checkpoint: checkpoint, previous: previous)
                summary += " (LoRA rank \(lora.rank), \(model.parameterCount) adapter weights, merged)"
            } else {
                let model = LlamaTrainingModel(
                    try checkpoint.map { try LlamaModel.loadModel(path: $0.appendingPathComponent("model").path) }
                        ?? ModelSource(path: previous.path).loadModel(),
                    recomputingLayers: config.training.gradientCheckpointing)
                summary = try runBuiltinTrainer(model: model, iteration: t, examples: examples, reference: reference,
                                                configuration: configuration, checkpoint: checkpoint, previous: previous)
            }
        }
        var trained = trainFolder.appendingPathComponent("model")
        if let selection = try checkpointSelection(iteration: t, totalSteps: Int.max, completedSteps: Int.max) {
            let (record, model) = try selection.chosen()
            trained = model
            summary += "; kept step \(record.step) (held-out accuracy \(Self.percent(record.accuracy)), "
                + "steps scored: \(selection.records.map { "\($0.step) \(Self.percent($0.accuracy))" }.joined(separator: ", ")))"
        }
        try ModelSource(path: previous.path).writeTokenizerFiles(to: trained)
        try? manager.removeItem(at: finalFolder)
        try manager.copyItem(at: trained, to: finalFolder)
        // M_t is in place, so this training will not resume: its checkpoints (weights and AdamW
        // moments, about four times the model) go. train/model and train/metrics.jsonl stay.
        let names = (try? manager.contentsOfDirectory(atPath: trainFolder.path)) ?? []
        for name in names where name.hasPrefix("checkpoint-") {
            try? manager.removeItem(at: trainFolder.appendingPathComponent(name))
        }
        if let hook = try config.serverReloadHook() {
            log("iter-\(t)/train: reloading the sampling server with \(finalFolder.path)")
            try hook.run(model: finalFolder, iteration: t) { line in log("  reload: \(line)") }
        }
        return summary
    }

    /// Runs the built-in trainer of iteration `t` on `model` into `train/` (resuming from
    /// `checkpoint` if given), scoring candidates when checkpoint selection is on.
    private func runBuiltinTrainer<Model: TrainableLanguageModel>(
        model: Model, iteration t: Int, examples: [TrainingExample], reference: ReferenceLogProbs?,
        configuration: TrainerConfiguration, checkpoint: URL?, previous: URL
    ) throws -> String {
        let trainer = try Trainer(model: model, examples: examples, reference: reference, configuration: configuration,
                                  outputDirectory: directory.file("train", iteration: t))
        if let checkpoint { try trainer.resume(from: checkpoint) }
        let total = trainer.totalSteps
        var selection = try checkpointSelection(iteration: t, totalSteps: total, completedSteps: trainer.completedSteps)
        let saveCandidate = { (folder: URL) throws in
            try trainer.model.save(to: folder)
            try ModelSource(path: previous.path).writeTokenizerFiles(to: folder)
        }
        // A checkpoint written just before an interruption may not have been scored yet.
        try selection?.consider(step: trainer.completedSteps, save: saveCandidate)
        let result = try trainer.train { metrics in
            progress("iter-\(t) train", metrics.step, total)
            try selection?.consider(step: metrics.step, save: saveCandidate)
            try interruptionPoint(.trainingStep(iteration: t, step: metrics.step))
            return .proceed
        }
        var summary = "\(result.completedSteps) steps on \(examples.count) pairs"
        if let last = result.lastMetrics { summary += String(format: ", last loss %.4f", last.loss) }
        return summary
    }

    /// The checkpoint selection of iteration `t`'s training (nil when `training.selection_questions` is 0):
    /// candidates are scored by the local engine's greedy accuracy on `data/selection.jsonl`.
    func checkpointSelection(iteration t: Int, totalSteps: Int, completedSteps: Int) throws -> CheckpointSelection? {
        guard config.training.selectionQuestions > 0 else { return nil }
        let itemsURL = directory.dataURL(split: RunDirectory.selectionSplit)
        var settings = config.evaluation
        settings.greedy = true
        settings.majorityK = 0
        let evaluator = Evaluator(reward: reward, prompt: prompt, settings: settings, seed: config.seed, syntheticTask: nil)
        let batchSize = config.sampling.batchSize, chat = config.task.chat, weights = config.sampling.weights
        return try CheckpointSelection(
            trainFolder: directory.file("train", iteration: t), every: config.training.selectionEvery,
            totalSteps: totalSteps, completedSteps: completedSteps,
            score: { [progress] folder in
                let items = try JSONLines.read(TaskItem.self, from: itemsURL)
                // Always the local engine: a sampling server serves M_{t-1}, not the candidate.
                let backend = try LocalInferenceBackend(modelFolder: folder, batchSize: batchSize, chatPrompts: chat, decodeWeights: weights)
                let result = try evaluator.evaluate(items: items, split: RunDirectory.selectionSplit, backend: backend) { _, done, total in
                    progress("iter-\(t) select", done, total)
                }
                return (result.greedyAccuracy ?? 0, result.questions)
            })
    }

    /// Step 5: greedy and maj@k accuracy of M_t -> eval.json.
    func evaluate(iteration t: Int) throws -> String {
        let folder = modelFolder(iteration: t)
        let backend = try makeBackend(folder)
        var evaluator = Evaluator(reward: reward, prompt: prompt, settings: config.evaluation, seed: config.seed,
                                  syntheticTask: syntheticTask)
        var splits: [SplitEvaluation] = []
        for split in config.evaluation.splits {
            let items = try JSONLines.read(TaskItem.self, from: directory.dataURL(split: split))
            let records = GreedyRecordCollector()
            evaluator.onGreedyCompletion = records.append
            splits.append(try evaluator.evaluate(items: items, split: split, backend: backend) { what, done, total in
                progress("iter-\(t) eval \(split) \(what)", done, total)
            })
            if !records.rows.isEmpty {
                try AtomicFileWriter.write(JSONLines.encode(records.rows), to: directory.file(GreedyRecord.fileName(split: split), iteration: t))
            }
        }
        try AtomicFileWriter.writeJSON(IterationEvaluation(iteration: t, model: folder.path, splits: splits), to: directory.file("eval.json", iteration: t))
        return splits.map { split in
            var parts = ["\(split.split):"]
            if let greedy = split.greedyAccuracy { parts.append("greedy \(Self.percent(greedy))") }
            if let majority = split.majorityAccuracy { parts.append("maj@\(split.majorityK) \(Self.percent(majority))") }
            if let failures = split.greedyExtractionFailureRate { parts.append("no answer \(Self.percent(failures))") }
            if let samples = split.sampleAccuracy { parts.append("samples correct \(Self.percent(samples))") }
            return parts.joined(separator: " ")
        }.joined(separator: "; ")
    }

    static func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }
}
