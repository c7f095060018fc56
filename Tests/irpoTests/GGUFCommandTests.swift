import Foundation
import IRPOFormats
import IRPOLoading
import IRPOModel
import IRPOTokenizer
import XCTest
@testable import irpo

/// The commands that take a model, given a .gguf file or a folder holding one.
final class GGUFCommandTests: XCTestCase {
    var root: URL!
    var folder: URL!
    var gguf: URL!

    /// A tiny random Llama with the demo's character vocabulary, as a Hugging Face folder and as
    /// an F32 GGUF (inside a folder of its own).
    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("irpo-commands-\(UUID().uuidString)")
        folder = root.appendingPathComponent("hf")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let configuration = LlamaConfiguration(vocabularySize: CharacterTokenizer().vocabularySize, hiddenSize: 32, intermediateSize: 64,
                                               layerCount: 1, attentionHeads: 4, keyValueHeads: 2, maxPositionEmbeddings: 1024,
                                               tieWordEmbeddings: true, bosTokenID: 1, eosTokenIDs: [2])
        let model = try LlamaModel(configuration: configuration)
        model.parameters.initializeRandomly(seed: 5, std: 0.25)
        try model.save(to: folder)
        try CharacterTokenizer().save(inFolder: folder)
        let holder = root.appendingPathComponent("gguf")
        try FileManager.default.createDirectory(at: holder, withIntermediateDirectories: true)
        gguf = holder.appendingPathComponent("tiny.gguf")
        var convert = try ConvertCommand.parse([folder.path, gguf.path])
        try convert.run()
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    func testConvertWritesQuantisedGGUFsAndReadsThemBack() throws {
        XCTAssertEqual(try ModelSource(path: gguf.path).format, .gguf)
        for type in ["q8_0", "q4_0"] {
            let out = root.appendingPathComponent("tiny.\(type).gguf")
            var command = try ConvertCommand.parse([gguf.deletingLastPathComponent().path, out.path, "--dtype", type])
            try command.run()
            let file = try GGUFFile(contentsOf: out)
            XCTAssertEqual(file.tensor(named: "blk.0.ffn_down.weight")?.type.name.lowercased(), type)
            XCTAssertEqual(file["tokenizer.ggml.model"]?.stringValue, "gpt2", "the tokenizer metadata is copied")
            let back = root.appendingPathComponent("back-\(type)")
            command = try ConvertCommand.parse([out.path, back.path])
            try command.run()
            XCTAssertEqual(try ModelSource(path: back.path).textTokenizer().encodePrompt("Q: 9"), CharacterTokenizer().encodePrompt("Q: 9"))
        }
        XCTAssertThrowsError(try ConvertCommand.parse([gguf.path, root.appendingPathComponent("folder").path, "--dtype", "q8_0"]))
    }

    func testTrainedModelFolderHoldsTheTokenizer() throws {
        let pairs = root.appendingPathComponent("pairs.jsonl")
        let row = #"{"prompt_ids": [1, 5, 6, 7], "chosen_ids": [8, 2], "rejected_ids": [9, 2]}"#
        try Data(Array(repeating: row, count: 4).joined(separator: "\n").utf8).write(to: pairs)
        for (name, model) in [("hf", folder.path), ("gguf", gguf.deletingLastPathComponent().path)] {
            let output = root.appendingPathComponent("train-\(name)")
            var command = try TrainCommand.parse(["--model", model, "--pairs", pairs.path, "--output", output.path, "--steps", "1",
                                                  "--batch-size", "2", "--micro-batch-size", "2", "--threads", "1"])
            try command.run()
            let trained = try ModelSource(path: output.appendingPathComponent("model").path)
            XCTAssertEqual(try trained.textTokenizer().encodePrompt("Q: 9"), CharacterTokenizer().encodePrompt("Q: 9"), name)
            XCTAssertEqual(try trained.loadModel().configuration.hiddenSize, 32, name)
        }
    }

    /// Token-id pairs need no tokenizer, and neither does saving the model trained on them
    /// (full training and adapters).
    func testAModelWithoutATokenizerTrainsOnTokenIDs() throws {
        let bare = root.appendingPathComponent("bare")
        try FileManager.default.createDirectory(at: bare, withIntermediateDirectories: true)
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: folder.appendingPathComponent(name), to: bare.appendingPathComponent(name))
        }
        XCTAssertFalse(try ModelSource(path: bare.path).hasTokenizer)
        let pairs = root.appendingPathComponent("pairs.jsonl")
        let row = #"{"prompt_ids": [1, 5, 6, 7], "chosen_ids": [8, 2], "rejected_ids": [9, 2]}"#
        try Data(Array(repeating: row, count: 4).joined(separator: "\n").utf8).write(to: pairs)
        for extra in [[], ["--lora-rank", "2", "--gradient-checkpointing"]] {
            let output = root.appendingPathComponent("bare-train-\(extra.count)")
            var command = try TrainCommand.parse(["--model", bare.path, "--pairs", pairs.path, "--output", output.path, "--steps", "1",
                                                  "--batch-size", "2", "--micro-batch-size", "2", "--threads", "1"] + extra)
            try command.run()
            let trained = try ModelSource(path: output.appendingPathComponent("model").path)
            XCTAssertEqual(try trained.loadModel().configuration.hiddenSize, 32)
            XCTAssertFalse(trained.hasTokenizer)
        }
    }

    func testEvalTakesAGGUFAndTheRunsTaskKnobs() throws {
        let completions = root.appendingPathComponent("greedy.jsonl")
        for model in [gguf.path, gguf.deletingLastPathComponent().path] {
            try? FileManager.default.removeItem(at: completions)
            let command = try EvalCommand.parse(["--model", model, "--task", "synthetic-arithmetic", "--limit", "3", "--max-new-tokens", "6",
                                                 "--prompt", "gsm8k", "--majority-k", "2", "--temperature", "0.7",
                                                 "--synthetic", "steps=[1,2]", "--synthetic", "multiply_weight=0",
                                                 "--threads", "1", "--completions", completions.path])
            let run = try command.runConfig()
            XCTAssertEqual(run.evaluation.majorityTemperature, 0.7)
            XCTAssertEqual(run.task.synthetic.config.steps, 1...2)
            XCTAssertEqual(run.task.synthetic.config.multiplyWeight, 0)
            XCTAssertEqual(run.task.prompt, "gsm8k")
            try command.run()
            let rows = try String(contentsOf: completions, encoding: .utf8).split(separator: "\n")
            XCTAssertEqual(rows.count, 3, model)
        }
        let disagree = try EvalCommand.parse(["--model", gguf.path, "--task", "synthetic-arithmetic", "--temperature", "0.7", "--majority-temperature", "0.9"])
        XCTAssertThrowsError(try disagree.runConfig()) { XCTAssertTrue("\($0)".contains("disagree"), "\($0)") }
        let badKnob = try EvalCommand.parse(["--model", gguf.path, "--task", "synthetic-arithmetic", "--synthetic", "stepz=2"])
        XCTAssertThrowsError(try badKnob.runConfig()) { XCTAssertTrue("\($0)".contains("stepz") && "\($0)".contains("steps"), "\($0)") }
        let missing = try EvalCommand.parse(["--model", root.appendingPathComponent("nothing.gguf").path, "--task", "synthetic-arithmetic", "--limit", "1"])
        XCTAssertThrowsError(try missing.run()) { XCTAssertTrue("\($0)".contains("nothing.gguf does not exist"), "\($0)") }
    }

    func testGenerateTokenizeTrainAndInspectOpenAGGUF() throws {
        let output = root.appendingPathComponent("generated.jsonl")
        var generate = try GenerateCommand.parse(["--model", gguf.path, "--prompt", "Q: 1 + 2", "--max-tokens", "5", "--temperature", "0",
                                                  "--output", output.path])
        try generate.run()
        let generated = try String(contentsOf: output, encoding: .utf8)
        XCTAssertTrue(generated.contains("\"token_ids\"") && generated.contains("\"text\""), generated)
        // The folder's character vocabulary is not a tokenizer generate reads: the same prompt as ids.
        let reference = root.appendingPathComponent("reference.jsonl")
        let ids = CharacterTokenizer().encodePrompt("Q: 1 + 2").map(String.init).joined(separator: ",")
        generate = try GenerateCommand.parse(["--model", folder.path, "--prompt-ids", ids, "--max-tokens", "5", "--temperature", "0",
                                              "--output", reference.path])
        try generate.run()
        func tokenIDs(_ text: String) throws -> [Int] {
            let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            return try XCTUnwrap(object?["token_ids"] as? [Int])
        }
        XCTAssertEqual(try tokenIDs(generated), try tokenIDs(String(contentsOf: reference, encoding: .utf8)),
                       "the GGUF and the folder give the same tokens")
        var textOnFolder = try GenerateCommand.parse(["--model", folder.path, "--prompt", "Q", "--output", reference.path])
        XCTAssertThrowsError(try textOnFolder.run()) { XCTAssertTrue("\($0)".contains("--prompt-ids"), "\($0)") }
        XCTAssertEqual(try TokenizeCommand.tokenizer(model: gguf.path).encode("a b", addSpecialTokens: false).map { Int32($0) },
                       CharacterTokenizer().encode("a b"))
        XCTAssertEqual(try TrainCommand.contextLength(model: gguf.deletingLastPathComponent().path), 1024)
        var inspect = try InspectCommand.parse([gguf.deletingLastPathComponent().path, "--summary"])
        try inspect.run()
        XCTAssertEqual(try ModelSource(path: gguf.deletingLastPathComponent().path).weights.path, gguf.path, "inspect reads the folder's GGUF")
    }
}
