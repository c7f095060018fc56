import Foundation
import IRPOFormats
@testable import IRPOPipeline
import IRPOTasks
import XCTest

/// The demo's targets are read from the run folders and judged as stated.
final class RealModelTargetsTests: XCTestCase {
    var output: URL!

    override func setUpWithError() throws {
        output = FileManager.default.temporaryDirectory.appendingPathComponent("irpo-targets-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: output) }

    /// Writes a run folder: for each model its dev accuracy and its test answers (true = correct).
    func writeRun(_ name: String, dev: [Double], test: [[Bool]]?) throws -> URL {
        let root = output.appendingPathComponent(name)
        let directory = RunDirectory(root: root)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try directory.save(RunState())
        for (t, accuracy) in dev.enumerated() {
            var splits = [SplitEvaluation(split: "dev", questions: 100, majorityK: 0)]
            splits[0].greedyAccuracy = accuracy
            if let answers = test?[t] {
                var split = SplitEvaluation(split: "test", questions: answers.count, majorityK: 0)
                split.greedyAccuracy = Double(answers.filter { $0 }.count) / Double(answers.count)
                splits.append(split)
                let rows = answers.enumerated().map { GreedyRecord(id: "q\($0.offset)", outcome: $0.element ? .correct : .incorrect,
                                                                  extracted: nil, completion: "") }
                try FileManager.default.createDirectory(at: directory.iteration(t), withIntermediateDirectories: true)
                try AtomicFileWriter.write(JSONLines.encode(rows), to: directory.file(GreedyRecord.fileName(split: "test"), iteration: t))
            }
            try FileManager.default.createDirectory(at: directory.iteration(t), withIntermediateDirectories: true)
            try AtomicFileWriter.writeJSON(IterationEvaluation(iteration: t, model: "m\(t)", splits: splits), to: directory.file("eval.json", iteration: t))
        }
        return root
    }

    func writeBaseline(_ baseline: Baseline, run: URL, testAccuracy: Double) throws {
        let folder = RunDirectory(root: ComparisonTable.baselineFolder(run: run, baseline: baseline))
        try FileManager.default.createDirectory(at: folder.iteration(1), withIntermediateDirectories: true)
        var split = SplitEvaluation(split: "test", questions: 200, majorityK: 0)
        split.greedyAccuracy = testAccuracy
        try AtomicFileWriter.writeJSON(IterationEvaluation(iteration: 1, model: "b", splits: [split]), to: folder.file("eval.json", iteration: 1))
    }

    /// 200 answers, the first `correct` of them right.
    func answers(_ correct: Int) -> [Bool] { (0..<200).map { $0 < correct } }

    func testEveryTargetMet() throws {
        let gold = try writeRun("gold", dev: [0.2, 0.5, 0.6, 0.7], test: [answers(40), answers(100), answers(110), answers(120)])
        try writeBaseline(.sftChosen, run: gold, testAccuracy: 0.45)
        try writeBaseline(.dpo, run: gold, testAccuracy: 0.30)
        let own = try writeRun("self", dev: [0.2, 0.25, 0.3, 0.35], test: [answers(40), answers(45), answers(50), answers(60)])
        let targets = try RealModelTargets(gold: gold, selfGenerated: own)
        XCTAssertEqual(targets.checks.map(\.met), [true, true, true, true, true], targets.markdown())
        XCTAssertTrue(targets.checks[0].result.hasPrefix("M3 - M0: +40.0 points"), targets.checks[0].result)
        XCTAssertEqual(targets.checks[1].result, "M0 20.0% -> M1 50.0% -> M2 60.0% -> M3 70.0%")
        XCTAssertEqual(targets.checks[3].result, "RPO 50.0%, SFT on chosen 45.0%, DPO 30.0%")
    }

    func testMissedTargetsAreReportedAsMissed() throws {
        // +5 points only; dev falls once; DPO above RPO; the self variant below M0.
        let gold = try writeRun("gold", dev: [0.2, 0.5, 0.4, 0.6], test: [answers(40), answers(44), answers(46), answers(50)])
        try writeBaseline(.sftChosen, run: gold, testAccuracy: 0.1)
        try writeBaseline(.dpo, run: gold, testAccuracy: 0.3)
        let own = try writeRun("self", dev: [0.2, 0.2], test: [answers(40), answers(30)])
        let targets = try RealModelTargets(gold: gold, selfGenerated: own)
        XCTAssertEqual(targets.checks.map(\.met), [false, false, false, false, false], targets.markdown())
        XCTAssertTrue(targets.markdown().contains("| **no** |"))
    }

    func testAGainConfinedToFewProblemStructuresNeedsTheGroupedInterval() throws {
        // 200 test questions asked as 4 problem structures of 50. M3 gains 30 questions (+15
        // points), all in structures 0 and 1: over questions the interval is far above 0, but
        // a resample that draws neither structure (1 in 16) gains nothing, so the interval over
        // structures reaches 0 and the target is not met.
        let gold = try writeRun("gold", dev: [0.2, 0.5, 0.6, 0.7], test: [answers(40), answers(50), answers(60), answers(70)])
        let items = (0..<200).map { TaskItem(id: "q\($0)", question: "?", goldAnswer: "1", metadata: ["signature": "s\($0 / 50)"]) }
        try FileManager.default.createDirectory(at: gold.appendingPathComponent("data"), withIntermediateDirectories: true)
        try AtomicFileWriter.write(JSONLines.encode(items), to: RunDirectory(root: gold).dataURL(split: "test"))

        let change = try XCTUnwrap(RunReport(directory: gold).improvement(split: "test"))
        XCTAssertGreaterThan(change.interval.low, 0.05, "per question: \(change.interval.description)")
        let grouped = try XCTUnwrap(change.byStructure)
        XCTAssertEqual(grouped.groups, 4)
        XCTAssertEqual(grouped.difference, 0.15, accuracy: 1e-12)
        XCTAssertEqual(grouped.low, 0, accuracy: 1e-12)
        let targets = try RealModelTargets(gold: gold, selfGenerated: nil)
        XCTAssertEqual(targets.checks[0].met, false, targets.markdown())
        XCTAssertTrue(targets.checks[0].result.contains("by problem structure: +15.0 points"), targets.checks[0].result)
        XCTAssertTrue(targets.checks[0].result.contains("resampling 4 problem structures of 200 questions"), targets.checks[0].result)
    }

    func testWhatWasNotRunIsNotMeasured() throws {
        let gold = try writeRun("gold", dev: [0.2, 0.5], test: nil)   // a --dev-only run without baselines
        let targets = try RealModelTargets(gold: gold, selfGenerated: output.appendingPathComponent("absent"))
        XCTAssertEqual(targets.checks.map(\.met), [nil, true, nil, nil, nil], targets.markdown())
        XCTAssertTrue(targets.markdown().contains("not measured (baselines not run)"), targets.markdown())
    }
}
