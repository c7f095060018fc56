import Foundation
import IRPOFormats
@testable import IRPOPipeline
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

    func testWhatWasNotRunIsNotMeasured() throws {
        let gold = try writeRun("gold", dev: [0.2, 0.5], test: nil)   // a --dev-only run without baselines
        let targets = try RealModelTargets(gold: gold, selfGenerated: output.appendingPathComponent("absent"))
        XCTAssertEqual(targets.checks.map(\.met), [nil, true, nil, nil, nil], targets.markdown())
        XCTAssertTrue(targets.markdown().contains("not measured (baselines not run)"), targets.markdown())
    }
}
