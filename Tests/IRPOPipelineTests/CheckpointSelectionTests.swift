import Foundation
import XCTest
@testable import IRPOPipeline

/// `CheckpointSelection` with scripted scores: which steps are scored, which one is kept (the
/// earliest of equals), which folders stay on disk, and how a resume drops later records.
final class CheckpointSelectionTests: XCTestCase {
    var trainFolder: URL!

    override func setUpWithError() throws {
        trainFolder = FileManager.default.temporaryDirectory.appendingPathComponent("irpo-selection-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: trainFolder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: trainFolder) }

    /// A selection whose score of a folder is `accuracies[step]`, the step read from the folder's marker file.
    func selection(every: Int, total: Int, completed: Int = 0, accuracies: [Int: Double],
                   scored: @escaping (Int) -> Void = { _ in }) throws -> CheckpointSelection {
        try CheckpointSelection(trainFolder: trainFolder, every: every, totalSteps: total, completedSteps: completed) { folder in
            let step = try XCTUnwrap(Int(String(decoding: Data(contentsOf: folder.appendingPathComponent("step")), as: UTF8.self)))
            scored(step)
            return (try XCTUnwrap(accuracies[step]), 10)
        }
    }

    /// What the trainer's save would write: a config.json and a marker naming the step.
    func save(step: Int) -> (URL) throws -> Void {
        { folder in
            try Data("{}".utf8).write(to: folder.appendingPathComponent("config.json"))
            try Data("\(step)".utf8).write(to: folder.appendingPathComponent("step"))
        }
    }

    func keptFolders() -> [String] {
        let folder = trainFolder.appendingPathComponent("selection")
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }

    func testScoresEveryKthAndTheLastStepAndKeepsTheEarliestBest() throws {
        let accuracies: [Int: Double] = [3: 0.4, 6: 0.6, 9: 0.5, 11: 0.6]
        var scoredSteps: [Int] = []
        var selection = try self.selection(every: 3, total: 11, accuracies: accuracies) { scoredSteps.append($0) }
        for step in 1...11 {
            let record = try selection.consider(step: step, save: save(step: step))
            XCTAssertEqual(record != nil, [3, 6, 9, 11].contains(step), "step \(step)")
            XCTAssertEqual(keptFolders().filter { $0.hasPrefix("best-step-") }.count, record == nil && step < 3 ? 0 : 1,
                           "only the best step's weights stay on disk (after step \(step))")
        }
        XCTAssertEqual(scoredSteps, [3, 6, 9, 11])
        // Considering a scored step again does nothing.
        XCTAssertNil(try selection.consider(step: 6, save: save(step: 6)))
        XCTAssertEqual(scoredSteps, [3, 6, 9, 11])
        let (record, model) = try selection.chosen()
        XCTAssertEqual(record, SelectionRecord(step: 6, accuracy: 0.6, questions: 10), "step 11 ties step 6; the earlier one is kept")
        XCTAssertEqual(String(decoding: try Data(contentsOf: model.appendingPathComponent("step")), as: UTF8.self), "6")
        XCTAssertEqual(keptFolders(), ["best-step-6"], "no candidate folder is left behind")
        let saved = try JSONLines.read(SelectionRecord.self, from: trainFolder.appendingPathComponent("selection.jsonl"))
        XCTAssertEqual(saved.map(\.step), [3, 6, 9, 11])
        XCTAssertEqual(saved.map(\.accuracy), [0.4, 0.6, 0.5, 0.6])
    }

    func testResumeDropsLaterRecordsAndScoresThemAgain() throws {
        let accuracies: [Int: Double] = [2: 0.3, 4: 0.2, 6: 0.5, 7: 0.1]
        var first = try selection(every: 2, total: 7, accuracies: accuracies)
        for step in 1...6 { try first.consider(step: step, save: save(step: step)) }
        XCTAssertEqual(try first.chosen().record.step, 6)

        // The trainer resumes from its step-4 checkpoint: the record of step 6 is dropped and
        // steps 6 and 7 are scored again.
        var scoredSteps: [Int] = []
        var resumed = try selection(every: 2, total: 7, completed: 4, accuracies: accuracies) { scoredSteps.append($0) }
        XCTAssertEqual(resumed.records.map(\.step), [2, 4])
        XCTAssertEqual(try JSONLines.read(SelectionRecord.self, from: trainFolder.appendingPathComponent("selection.jsonl")).map(\.step), [2, 4])
        // Step 2's folder went when step 6 beat it; it is not needed, since step 6 is scored again
        // with the same weights and replaces it as the best.
        XCTAssertEqual(resumed.best?.step, 2)
        for step in 4...7 { try resumed.consider(step: step, save: save(step: step)) }
        XCTAssertEqual(scoredSteps, [6, 7])
        XCTAssertEqual(try resumed.chosen().record.step, 6)
        XCTAssertEqual(keptFolders(), ["best-step-6"])
        XCTAssertEqual(resumed.records, first.records + [SelectionRecord(step: 7, accuracy: 0.1, questions: 10)])
    }

    func testChosenNamesWhatIsMissing() throws {
        let empty = try selection(every: 2, total: 4, accuracies: [:])
        XCTAssertThrowsError(try empty.chosen()) { error in
            XCTAssertTrue("\(error)".contains("no checkpoint of \(self.trainFolder.path) was scored"), "\(error)")
        }
        var selection = try self.selection(every: 2, total: 4, accuracies: [2: 0.5])
        try selection.consider(step: 2, save: save(step: 2))
        try FileManager.default.removeItem(at: trainFolder.appendingPathComponent("selection/best-step-2"))
        XCTAssertThrowsError(try selection.chosen()) { error in
            XCTAssertTrue("\(error)".contains("best-step-2, the chosen checkpoint (step 2), is missing"), "\(error)")
        }
    }
}

/// Held-out questions of a file task: the last `selection_questions` of `task.train`, never trained on.
final class SelectionQuestionsTests: XCTestCase {
    func testFileTaskHoldsOutTheLastQuestions() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("irpo-holdout-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let train = folder.appendingPathComponent("train.jsonl")
        let lines = (1...10).map { "{\"question\": \"What is \($0) + 1?\", \"answer\": \"\($0) + 1 = \($0 + 1)\\n#### \($0 + 1)\"}" }
        try Data(lines.joined(separator: "\n").utf8).write(to: train)
        var config = RunConfig()
        config.seedModel = folder.path
        config.task.train = train.path
        config.task.test = train.path
        config.training.selectionQuestions = 3
        let run = try IterativeRun(config: config, directory: folder.appendingPathComponent("run"), resume: false)
        XCTAssertEqual(try run.trainingItems(iteration: 1).map(\.question), (1...7).map { "What is \($0) + 1?" })
        XCTAssertEqual(try run.selectionItems().map(\.question), (8...10).map { "What is \($0) + 1?" })

        config.task.trainLimit = 5
        let limited = try IterativeRun(config: config, directory: folder.appendingPathComponent("run-limited"), resume: false)
        XCTAssertEqual(try limited.trainingItems(iteration: 1).count, 5, "train_limit applies to what is left")

        config.training.selectionQuestions = 10
        let tooMany = try IterativeRun(config: config, directory: folder.appendingPathComponent("run-too-many"), resume: false)
        XCTAssertThrowsError(try tooMany.selectionItems()) { error in
            XCTAssertTrue("\(error)".contains("`training.selection_questions` has value 10, but \(train.path) holds only 10 questions"), "\(error)")
        }
    }
}
