import Foundation
import IRPOFormats

/// One scored checkpoint: a line of `iter-<t>/train/selection.jsonl`.
public struct SelectionRecord: Codable, Sendable, Equatable {
    /// The optimizer step whose weights were scored.
    public var step: Int
    /// Greedy accuracy on the held-out training questions.
    public var accuracy: Double
    /// How many held-out questions were scored.
    public var questions: Int

    public init(step: Int, accuracy: Double, questions: Int) {
        self.step = step
        self.accuracy = accuracy
        self.questions = questions
    }
}

/// Chooses M_t among the steps of one training stage, as the paper does ("checkpoint chosen on
/// held-out training questions"): every `every`-th step and the last one are saved, scored by
/// greedy accuracy on held-out training questions, and the best (the earliest of equals) is kept.
///
/// Files, all under `iter-<t>/train/`: `selection.jsonl` (one `SelectionRecord` per scored step, in
/// step order), `selection/best-step-<s>/` (the weights of the best step so far, written before its
/// record) and `selection/candidate/` (the step being scored). Resuming from a trainer checkpoint at
/// step s drops the records after s, which the resumed training scores again with identical
/// weights, so an interrupted stage chooses exactly what an uninterrupted one does.
struct CheckpointSelection {
    /// `iter-<t>/train`.
    let trainFolder: URL
    /// Score every this many steps (and the last one).
    let every: Int
    /// The stage's last step.
    let totalSteps: Int
    /// Greedy accuracy (and question count) of the model saved in a folder.
    let score: (URL) throws -> (accuracy: Double, questions: Int)
    /// The records so far, in step order.
    private(set) var records: [SelectionRecord]

    var recordsURL: URL { trainFolder.appendingPathComponent("selection.jsonl") }
    var folder: URL { trainFolder.appendingPathComponent("selection") }
    func bestFolder(step: Int) -> URL { folder.appendingPathComponent("best-step-\(step)") }

    /// Reads the records of steps up to `completedSteps` (the step training resumes from) and
    /// rewrites the file without the later ones.
    /// - Throws: `PipelineError` when `selection.jsonl` is damaged.
    init(trainFolder: URL, every: Int, totalSteps: Int, completedSteps: Int,
         score: @escaping (URL) throws -> (accuracy: Double, questions: Int)) throws {
        self.trainFolder = trainFolder
        self.every = every
        self.totalSteps = totalSteps
        self.score = score
        let url = trainFolder.appendingPathComponent("selection.jsonl")
        let saved = FileManager.default.fileExists(atPath: url.path) ? try JSONLines.read(SelectionRecord.self, from: url) : []
        records = saved.filter { $0.step <= completedSteps }
        if records.count != saved.count { try AtomicFileWriter.write(JSONLines.encode(records), to: url) }
    }

    /// Whether `step` is scored.
    func isCandidate(_ step: Int) -> Bool { step >= 1 && (step % every == 0 || step == totalSteps) }

    /// The best record so far: the highest accuracy, the earliest step among equals.
    var best: SelectionRecord? { Self.best(of: records) }

    /// The highest accuracy of `records` (in step order), the earliest step among equals.
    static func best(of records: [SelectionRecord]) -> SelectionRecord? {
        records.reduce(nil) { best, record in
            guard let best else { return record }
            return record.accuracy > best.accuracy ? record : best
        }
    }

    /// Scores `step` when it is a candidate not scored yet: `save` writes the model folder it is
    /// given; a new best is kept as `selection/best-step-<step>` (earlier best folders removed).
    /// - Returns: the new record, or nil when nothing was scored.
    @discardableResult
    mutating func consider(step: Int, save: (URL) throws -> Void) throws -> SelectionRecord? {
        guard isCandidate(step), !records.contains(where: { $0.step == step }) else { return nil }
        let manager = FileManager.default
        let candidate = folder.appendingPathComponent("candidate")
        try? manager.removeItem(at: candidate)
        try manager.createDirectory(at: candidate, withIntermediateDirectories: true)
        try save(candidate)
        let result = try score(candidate)
        let record = SelectionRecord(step: step, accuracy: result.accuracy, questions: result.questions)
        let previousBest = best
        if previousBest.map({ record.accuracy > $0.accuracy }) ?? true {
            let kept = bestFolder(step: step)
            try? manager.removeItem(at: kept)
            try manager.moveItem(at: candidate, to: kept)
        } else {
            try manager.removeItem(at: candidate)
        }
        // The record is written after its weights, so a record always has its folder when it is the best.
        let appender = try JSONLinesAppender(url: recordsURL)
        try appender.append(record)
        records.append(record)
        if let best {
            for name in (try? manager.contentsOfDirectory(atPath: folder.path)) ?? []
            where name.hasPrefix("best-step-") && name != bestFolder(step: best.step).lastPathComponent {
                try? manager.removeItem(at: folder.appendingPathComponent(name))
            }
        }
        return record
    }

    /// The chosen step and its model folder.
    /// - Throws: `PipelineError` when no step was scored or the best step's folder is missing.
    func chosen() throws -> (record: SelectionRecord, model: URL) {
        guard let best else {
            throw PipelineError("no checkpoint of \(trainFolder.path) was scored for selection; delete that folder and rerun with --resume")
        }
        let model = bestFolder(step: best.step)
        guard FileManager.default.fileExists(atPath: model.appendingPathComponent("config.json").path) else {
            throw PipelineError("\(model.path), the chosen checkpoint (step \(best.step)), is missing; delete \(trainFolder.path) and rerun with --resume")
        }
        return (best, model)
    }
}
