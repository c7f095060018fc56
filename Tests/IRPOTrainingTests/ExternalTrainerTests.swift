import Foundation
import IRPOFormats
@testable import IRPOTraining
import XCTest

/// `ExternalTrainer` with small `/bin/sh` scripts written by the tests.
final class ExternalTrainerTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("irpo-external-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// A model folder this package accepts: a llama config.json and a one-tensor safetensors file.
    func makeModelFolder(_ name: String) throws -> URL {
        let model = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        let config = """
            {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 8, "intermediate_size": 16,
             "num_attention_heads": 2, "num_key_value_heads": 1, "num_hidden_layers": 1, "vocab_size": 11,
             "max_position_embeddings": 32, "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": true,
             "bos_token_id": 1, "eos_token_id": 2}
            """
        try Data(config.utf8).write(to: model.appendingPathComponent("config.json"))
        let ones = [Float](repeating: 1, count: 8)
        try ones.withUnsafeBufferPointer { values in
            try SafetensorsWriter.write([.init(name: "model.norm.weight", shape: [8], values: values)], dtype: .f32, metadata: [:],
                                        to: model.appendingPathComponent("model.safetensors"))
        }
        return model
    }

    func job(output: String = "out") throws -> ExternalTrainerJob {
        let pairs = folder.appendingPathComponent("pairs.jsonl")
        try Data("{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n".utf8).write(to: pairs)
        var job = ExternalTrainerJob(inputModel: try makeModelFolder("input"), pairs: pairs,
                                     outputDirectory: folder.appendingPathComponent(output), iteration: 2)
        job.alpha = 0.5
        job.beta = 0.25
        job.learningRate = 1e-6
        job.epochs = 3
        job.batchSize = 4
        return job
    }

    func script(_ text: String) throws -> String {
        let url = folder.appendingPathComponent("train-\(UUID().uuidString).sh")
        try Data(("#!/bin/sh\n" + text + "\n").utf8).write(to: url)
        return url.path
    }

    func testPlaceholdersAndEnvironmentReachTheCommandAndTheModelIsKept() throws {
        let job = try job()
        let path = try script("""
            echo "args: $1 $2 $3"
            echo "env: $IRPO_ALPHA $IRPO_BETA $IRPO_LEARNING_RATE $IRPO_EPOCHS $IRPO_BATCH_SIZE $IRPO_ITERATION $IRPO_LOSS [$IRPO_REF_LOGPS] $EXTRA"
            echo "to stderr" >&2
            test -f "$IRPO_PAIRS" || exit 3
            cp -R "$IRPO_INPUT_MODEL" "$IRPO_OUTPUT_DIR"
            echo done
            """)
        let trainer = ExternalTrainer(command: ["/bin/sh", path, "{input_model}", "--beta={beta}", "{{literal}}"],
                                      environment: ["EXTRA": "extra-value"])
        try trainer.validate()
        var lines: [String] = []
        try trainer.run(job: job) { lines.append($0) }
        XCTAssertEqual(lines.first, "args: \(job.inputModel.path) --beta=0.25 {literal}")
        XCTAssertTrue(lines.contains("env: 0.5 0.25 1e-06 3 4 2 rpo [] extra-value"), "\(lines)")
        XCTAssertTrue(lines.contains("to stderr"), "stderr is streamed too: \(lines)")
        XCTAssertEqual(lines.last, "done")
        XCTAssertTrue(FileManager.default.fileExists(atPath: job.outputDirectory.appendingPathComponent("model.safetensors").path))
    }

    func testLinesArriveWhileTheCommandRuns() throws {
        let job = try job()
        let marker = folder.appendingPathComponent("marker")
        // The command prints, then waits until the test's callback (which saw the line) creates the marker.
        let path = try script("""
            echo first
            i=0; while [ ! -f "\(marker.path)" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
            test -f "\(marker.path)" || { echo "the line was not streamed before exit"; exit 9; }
            cp -R "$IRPO_INPUT_MODEL" "$IRPO_OUTPUT_DIR"
            """)
        var lines: [String] = []
        try ExternalTrainer(command: ["/bin/sh", path]).run(job: job) { line in
            lines.append(line)
            if line == "first" { FileManager.default.createFile(atPath: marker.path, contents: nil) }
        }
        XCTAssertEqual(lines, ["first"])
    }

    func testNonZeroExitReportsStatusAndLastLines() throws {
        let job = try job()
        let path = try script("""
            for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25; do echo "line $i"; done
            echo "CUDA out of memory" >&2
            exit 7
            """)
        XCTAssertThrowsError(try ExternalTrainer(command: ["/bin/sh", path]).run(job: job) { _ in }) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("exited with status 7 in iteration 2"), message)
            XCTAssertTrue(message.contains("CUDA out of memory"), message)
            XCTAssertTrue(message.contains("line 25"), message)
            XCTAssertFalse(message.contains("line 5\n"), "only the last lines: \(message)")
        }
    }

    func testMissingOrBrokenOutputModelIsAnError() throws {
        let job = try job()
        let nothing = try script("echo trained")
        XCTAssertThrowsError(try ExternalTrainer(command: ["/bin/sh", nothing]).run(job: job) { _ in }) { error in
            XCTAssertTrue("\(error)".contains("left no model in \(job.outputDirectory.path)"), "\(error)")
        }
        let noWeights = try script("mkdir -p \"$IRPO_OUTPUT_DIR\" && cp \"$IRPO_INPUT_MODEL/config.json\" \"$IRPO_OUTPUT_DIR/\"")
        XCTAssertThrowsError(try ExternalTrainer(command: ["/bin/sh", noWeights]).run(job: job) { _ in }) { error in
            XCTAssertTrue("\(error)".contains("no safetensors weights"), "\(error)")
        }
        let badWeights = try script("cp -R \"$IRPO_INPUT_MODEL\" \"$IRPO_OUTPUT_DIR\" && echo garbage > \"$IRPO_OUTPUT_DIR/model.safetensors\"")
        XCTAssertThrowsError(try ExternalTrainer(command: ["/bin/sh", badWeights]).run(job: job) { _ in }) { error in
            XCTAssertTrue("\(error)".contains("not valid safetensors"), "\(error)")
        }
    }

    func testBadCommandsAreNamed() throws {
        XCTAssertThrowsError(try ExternalTrainer(command: []).validate()) { error in
            XCTAssertTrue("\(error)".contains("trainer.command is empty"), "\(error)")
        }
        XCTAssertThrowsError(try ExternalTrainer(command: ["python", "{input_modle}"]).validate()) { error in
            XCTAssertTrue("\(error)".contains("unknown placeholder {input_modle}"), "\(error)")
        }
        XCTAssertThrowsError(try ExternalTrainer(command: ["python", "{pairs"]).validate()) { error in
            XCTAssertTrue("\(error)".contains("unmatched brace"), "\(error)")
        }
        XCTAssertThrowsError(try ExternalTrainer(command: ["irpo-no-such-program-xyz"]).run(job: job()) { _ in }) { error in
            XCTAssertTrue("\(error)".contains("irpo-no-such-program-xyz was not found in PATH"), "\(error)")
        }
    }

    func testAHookThatLeavesABackgroundChildRunningStillReturns() throws {
        // Like a reload script that restarts a server with `nohup ... &`: the shell exits at once,
        // its child keeps running (and holds every inherited descriptor open).
        let pidFile = folder.appendingPathComponent("child.pid")
        let process = ExternalTrainerProcess(arguments: ["/bin/sh", "-c", "sleep 60 & echo $! > \"\(pidFile.path)\"; echo started; exit 3"],
                                             environment: ProcessInfo.processInfo.environment)
        var lines: [String] = []
        let outcome = try process.run { lines.append($0) }
        let child = Int32((try? String(contentsOf: pidFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
        XCTAssertGreaterThan(child, 0)
        XCTAssertEqual(kill(child, 0), 0, "the background child is still running when run() returns")
        kill(child, SIGKILL)
        XCTAssertEqual(outcome.exitCode, 3)
        XCTAssertFalse(outcome.signalled)
        XCTAssertEqual(lines, ["started"])
    }
}
