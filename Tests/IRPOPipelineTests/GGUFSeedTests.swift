import Foundation
import IRPOFormats
import IRPOLoading
import IRPOModel
@testable import IRPOPipeline
import IRPOTasks
import IRPOTokenizer
import XCTest

/// A run and a comparison seeded from a GGUF file: the tokenizer comes from the file's metadata,
/// iteration models are Hugging Face folders that carry it on, and `output.gguf` writes each
/// iteration back out as GGUF.
final class GGUFSeedTests: XCTestCase {
    var output: URL!

    override func setUpWithError() throws {
        output = FileManager.default.temporaryDirectory.appendingPathComponent("irpo-gguf-seed-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: output) }

    /// The tiny demo M0 written as an F32 GGUF (character vocabulary as GGUF metadata); the
    /// run config uses it as its seed.
    func ggufSeed() throws -> (file: URL, config: RunConfig) {
        let (folder, config) = try PipelineTestSupport.tinyRun(output: output)
        let source = try ModelSource(path: folder.path)
        let file = output.appendingPathComponent("m0.gguf")
        try source.loadModel().saveGGUF(to: file, type: .f32, name: "tiny m0", extraMetadata: try source.ggufTokenizerMetadata().metadata)
        var seeded = config
        seeded.seedModel = file.path
        try seeded.validate()
        return (file, seeded)
    }

    func testARunSeededFromAGGUFTrainsEvaluatesAndExportsEachIteration() throws {
        let (file, seeded) = try ggufSeed()
        var config = seeded
        config.output.gguf.types = ["q8_0", "q4_0"]
        let directory = output.appendingPathComponent("run")
        var lines: [String] = []
        let run = try IterativeRun(config: config, directory: directory, resume: false, log: { lines.append($0) })
        let evaluations = try run.run()
        XCTAssertEqual(evaluations.map(\.iteration), [0, 1])
        XCTAssertEqual(evaluations[0].model, file.path, "M0 is evaluated straight from the GGUF")
        let state = try RunDirectory(root: directory).loadState()
        XCTAssertEqual(state.completed, ["data", "iter-0/eval", "iter-1/sample", "iter-1/score", "iter-1/pair", "iter-1/refcache",
                                         "iter-1/train", "iter-1/export", "iter-1/eval"])
        // M1 is a Hugging Face folder with the seed's tokenizer translated to tokenizer.json.
        let model = directory.appendingPathComponent("iter-1/model")
        XCTAssertTrue(FileManager.default.fileExists(atPath: model.appendingPathComponent("tokenizer.json").path))
        let text = "Q: 5 + 7\n"
        XCTAssertEqual(try ModelSource(path: model.path).textTokenizer().encodePrompt(text), CharacterTokenizer().encodePrompt(text))
        // Each export loads with the tokenizer and holds M1's weights up to quantisation.
        let trained = try ModelSource(path: model.path).loadModel()
        for type in ["q8_0", "q4_0"] {
            let url = directory.appendingPathComponent("iter-1/model.\(type).gguf")
            let exported = try ModelSource(path: url.path)
            XCTAssertEqual(exported.format, .gguf)
            XCTAssertEqual(try exported.textTokenizer().encodeCompletion(text), CharacterTokenizer().encodeCompletion(text), type)
            let gguf = try GGUFFile(contentsOf: url)
            XCTAssertEqual(gguf["general.name"]?.stringValue, "tiny m0 (irpo \(config.name) iteration 1)")
            XCTAssertEqual(gguf.tensor(named: "blk.0.attn_k.weight")?.type.name.lowercased(), type)
            let loaded = try exported.loadModel()
            XCTAssertEqual(loaded.configuration.layerCount, trained.configuration.layerCount)
            let a = Array(trained.parameters.view(.upWeight, layer: 0)), b = Array(loaded.parameters.view(.upWeight, layer: 0))
            let largest = a.map(abs).max() ?? 0
            XCTAssertLessThanOrEqual(zip(a, b).map { abs($0 - $1) }.max() ?? .infinity, largest / 7, type)
        }
        XCTAssertTrue(lines.contains { $0.hasPrefix("iter-1/export: model.q8_0.gguf") }, "\(lines)")
    }

    func testAComparisonSeededFromAGGUFTrainsItsBaselines() throws {
        let (_, config) = try ggufSeed()
        let directory = output.appendingPathComponent("compare")
        let comparison = Comparison(config: config, baselines: [.zeroShot, .sftGold, .rpo], directory: directory)
        let table = try comparison.run(resume: false)
        XCTAssertTrue(table.markdown().contains("SFT on gold"), table.markdown())
        let gold = try JSONLines.read(GoldSFTRecord.self, from: directory.appendingPathComponent("baselines/sft-gold/iter-1/pairs.jsonl"))
        XCTAssertFalse(gold.isEmpty)
        // The gold rows are tokenised with the GGUF's vocabulary: the character ids, BOS first.
        let row = try XCTUnwrap(gold.first)
        XCTAssertEqual(row.promptIDs, CharacterTokenizer().encodePrompt(row.prompt))
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("baselines/sft-gold/iter-1/model/tokenizer.json").path))
    }

    func testConfigChecksOfGGUFSeedsAndExports() throws {
        let (file, config) = try ggufSeed()
        func message(_ edit: (inout RunConfig) -> Void) -> String {
            var changed = config
            edit(&changed)
            do { try changed.validate(); return "no error" } catch { return "\(error)" }
        }
        XCTAssertEqual(message { $0.output.gguf.types = ["q8_0", "F16"] }, "no error", "type names are case-insensitive")
        let typo = message { $0.output.gguf.types = ["q8"] }
        XCTAssertTrue(typo.contains("`output.gguf.types` has value \"q8\"") && typo.contains("q8_0"), typo)
        let text = output.appendingPathComponent("model.bin")
        try Data("not a model".utf8).write(to: text)
        let notGGUF = message { $0.seedModel = text.path }
        XCTAssertTrue(notGGUF.contains("`seed_model`") && notGGUF.contains("not a GGUF file"), notGGUF)
        let external = message {
            $0.trainer.type = .external
            $0.trainer.command = ["python3", "train.py"]
            $0.training.selectionQuestions = 0
        }
        XCTAssertTrue(external.contains("`seed_model`") && external.contains("irpo convert \(file.path)"), external)
        // The YAML key is read and kept in the resolved config.
        let yaml = "seed_model: \(file.path)\ntask: {kind: synthetic-arithmetic}\noutput:\n  gguf: {types: [q4_0]}\n"
        XCTAssertEqual(try RunConfig(json: Data(yaml.utf8), file: "c.yaml").output.gguf.types, ["q4_0"])
        XCTAssertThrowsError(try RunConfig(json: Data("seed_model: \(file.path)\noutput: {gguf: {type: q8_0}}\n".utf8), file: "c.yaml")) { error in
            XCTAssertTrue("\(error)".contains("output.gguf.type"), "\(error)")
        }
    }
}
