import Foundation
import IRPOModel
import XCTest
@testable import IRPOPipeline

/// `training.lora` in the run config: absent means full training, present (even empty) means
/// adapters with PEFT-like defaults; every bad value names its key.
final class LoRASettingsTests: XCTestCase {
    var modelFolder: URL!

    override func setUpWithError() throws {
        modelFolder = FileManager.default.temporaryDirectory.appendingPathComponent("irpo-lora-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: modelFolder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: modelFolder) }

    func config(_ training: String, extra: String = "") throws -> RunConfig {
        let json = "{\"seed_model\": \"\(modelFolder.path)\", \"task\": {\"kind\": \"synthetic-arithmetic\"}, \"training\": {\(training)}\(extra)}"
        return try RunConfig(json: Data(json.utf8), file: "test.json")
    }

    func message(_ training: String, extra: String = "") -> String {
        do {
            _ = try config(training, extra: extra)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func testAbsentIsFullTrainingAndEmptyIsTheDefaults() throws {
        XCTAssertNil(try config("").training.lora)
        XCTAssertNil(try config("\"lora\": null").training.lora)
        let defaults = try XCTUnwrap(try config("\"lora\": {}").training.lora)
        XCTAssertEqual(try defaults.configuration(), LoRAConfiguration(rank: 16, alpha: 32, dropout: 0, targets: LoRATarget.allCases))
    }

    func testValuesAreRead() throws {
        let settings = try XCTUnwrap(try config("\"lora\": {\"rank\": 8, \"alpha\": 4, \"target_modules\": [\"q_proj\", \"v_proj\"]}").training.lora)
        XCTAssertEqual(try settings.configuration(), LoRAConfiguration(rank: 8, alpha: 4, targets: [.query, .value]))
        let single = try XCTUnwrap(try config("\"lora\": {\"target_modules\": \"down_proj\"}").training.lora)
        XCTAssertEqual(try single.configuration().targets, [.down])
        // YAML reads the same keys.
        let yaml = "seed_model: \(modelFolder.path)\ntask:\n  kind: synthetic-arithmetic\ntraining:\n  lora:\n    rank: 4\n    alpha: 8\n"
        XCTAssertEqual(try RunConfig(yaml: yaml).training.lora?.rank, 4)
    }

    func testBadValuesNameTheKey() {
        XCTAssertTrue(message("\"lora\": {\"rank\": 0}").contains("`training.lora.rank` has value 0"), message("\"lora\": {\"rank\": 0}"))
        XCTAssertTrue(message("\"lora\": {\"rank\": 1.5}").contains("`training.lora.rank`"))
        XCTAssertTrue(message("\"lora\": {\"alpha\": -2}").contains("`training.lora.alpha` has value -2"))
        XCTAssertTrue(message("\"lora\": {\"dropout\": 1.5}").contains("`training.lora.dropout`"))
        XCTAssertTrue(message("\"lora\": {\"target_modules\": [\"q_prj\"]}").contains("did you mean \"q_proj\""),
                      message("\"lora\": {\"target_modules\": [\"q_prj\"]}"))
        XCTAssertTrue(message("\"lora\": {\"target_modules\": [\"lm_head\"]}").contains("`training.lora.target_modules` has value \"lm_head\""))
        XCTAssertEqual(message("\"lora\": {\"rnak\": 8}"), "unknown config key `training.lora.rnak`; did you mean `training.lora.rank`?")
        XCTAssertTrue(message("\"lora\": 8").contains("`training.lora` has value 8, expected an object"))
        XCTAssertTrue(message("\"lora\": {}", extra: ", \"trainer\": {\"type\": \"external\", \"command\": [\"python3\", \"train.py\"]}")
            .contains("`training.lora`"))
    }

    /// `training.gradient_checkpointing`: off by default, read as a bool, refused with an external
    /// trainer (which would silently ignore it).
    func testGradientCheckpointingIsReadAndChecked() throws {
        XCTAssertFalse(try config("").training.gradientCheckpointing)
        XCTAssertTrue(try config("\"gradient_checkpointing\": true").training.gradientCheckpointing)
        XCTAssertTrue(message("\"gradient_checkpointing\": 1").contains("`training.gradient_checkpointing`"),
                      message("\"gradient_checkpointing\": 1"))
        XCTAssertTrue(message("\"gradient_checkpoint\": true").contains("did you mean `training.gradient_checkpointing`"),
                      message("\"gradient_checkpoint\": true"))
        let external = message("\"gradient_checkpointing\": true",
                               extra: ", \"trainer\": {\"type\": \"external\", \"command\": [\"python3\", \"train.py\"]}")
        XCTAssertTrue(external.contains("`training.gradient_checkpointing`") && external.contains("external"), external)
    }
}
