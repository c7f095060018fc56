import Foundation
import XCTest
@testable import IRPOPipeline

/// YAML configs: the same keys, defaults, unknown-key suggestions and validation as JSON.
final class YAMLConfigTests: XCTestCase {
    var modelFolder: URL!

    override func setUpWithError() throws {
        modelFolder = FileManager.default.temporaryDirectory.appendingPathComponent("irpo-yaml-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: modelFolder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: modelFolder) }

    func yaml(_ body: String) -> String {
        "seed_model: \(modelFolder.path)\ntask:\n  kind: synthetic-arithmetic\n" + body
    }

    func message(_ body: String) -> String {
        do {
            _ = try RunConfig(yaml: yaml(body), file: "test.yaml")
            return "no error"
        } catch let error as PipelineError {
            return error.message
        } catch {
            return "unexpected \(error)"
        }
    }

    func testYAMLGivesTheSameConfigAsJSON() throws {
        let body = """
            name: yaml-run
            iterations: 2
            seed: 7
            threads: 1
            sampling:
              samples_per_question: 4
              temperatures: [0.7, 1.1]
              top_p: 0.95
              max_new_tokens: 64
              stop: ["\\n\\n"]
            pairs:
              pairs_per_question: 3
              gold_as_winner: false
            training:
              loss: dpo
              beta: 0.2
              learning_rate: 1.0e-5
              batch_size: 8
            evaluation:
              majority_k: 0
              limit: 10
              splits: [test, dev]

            """
        let fromYAML = try RunConfig(yaml: yaml(body), file: "run.yml")
        let json = """
            {"seed_model": "\(modelFolder.path)", "task": {"kind": "synthetic-arithmetic"}, "name": "yaml-run", "iterations": 2,
             "seed": 7, "threads": 1,
             "sampling": {"samples_per_question": 4, "temperatures": [0.7, 1.1], "top_p": 0.95, "max_new_tokens": 64, "stop": ["\\n\\n"]},
             "pairs": {"pairs_per_question": 3, "gold_as_winner": false},
             "training": {"loss": "dpo", "beta": 0.2, "learning_rate": 1e-5, "batch_size": 8},
             "evaluation": {"majority_k": 0, "limit": 10, "splits": ["test", "dev"]}}
            """
        let fromJSON = try RunConfig(json: Data(json.utf8), file: "run.json")
        XCTAssertEqual(fromYAML, fromJSON)
        XCTAssertEqual(fromYAML.sampling.temperatures, [0.7, 1.1])
        XCTAssertEqual(fromYAML.sampling.generation.stop, ["\n\n"])
        XCTAssertEqual(fromYAML.training.loss, .dpo)
        XCTAssertEqual(fromYAML.evaluation.limit, 10)
        XCTAssertFalse(fromYAML.pairs.goldAsWinner)
        XCTAssertNotEqual(fromYAML, try RunConfig(yaml: yaml(""), file: "defaults.yaml"), "the values were read, not defaulted")
    }

    func testFileExtensionPicksYAML() throws {
        let file = modelFolder.appendingPathComponent("run.yaml")
        try yaml("iterations: 3\n").write(to: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(try RunConfig(contentsOf: file).iterations, 3)
        let json = modelFolder.appendingPathComponent("run.json")
        try yaml("iterations: 3\n").write(to: json, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RunConfig(contentsOf: json)) { error in
            XCTAssertTrue("\(error)".contains("is not valid JSON"), "\(error)")
        }
    }

    func testUnknownKeysSuggestTheNearest() {
        XCTAssertEqual(message("iteratons: 3\n"), "unknown config key `iteratons`; did you mean `iterations`?")
        XCTAssertEqual(message("sampling:\n  top_pp: 0.9\n"), "unknown config key `sampling.top_pp`; did you mean `sampling.top_p`?")
    }

    func testTypesAndRangesAreChecked() {
        XCTAssertEqual(message("iterations: three\n"), "config key `iterations` has value \"three\", expected an integer")
        XCTAssertEqual(message("training:\n  beta: -1\n"), "config key `training.beta` has value -1.0, expected a number > 0")
        XCTAssertEqual(message("pairs:\n  gold_as_winner: \"yes\"\n"), "config key `pairs.gold_as_winner` has value \"yes\", expected true or false")
        XCTAssertTrue(message("sampling:\n  samples_per_question: 0\n").contains("`sampling.samples_per_question` has value 0"))
        XCTAssertTrue(message("sampling: 3\n").contains("`sampling` has value 3, expected an object"))
    }

    func testSyntaxErrorsAndDuplicateKeysNameTheFile() {
        XCTAssertTrue(message("sampling:\n  top_p: [0.9\n").contains("test.yaml is not valid YAML"), message("sampling:\n  top_p: [0.9\n"))
        let duplicate = message("iterations: 2\niterations: 3\n")
        XCTAssertTrue(duplicate.contains("key `iterations` appears twice"), duplicate)
        XCTAssertTrue(message("").contains("no error"))
        XCTAssertThrowsError(try RunConfig(yaml: "- a\n- b\n", file: "list.yaml")) { error in
            XCTAssertTrue("\(error)".contains("list.yaml must hold one YAML mapping"), "\(error)")
        }
    }
}
