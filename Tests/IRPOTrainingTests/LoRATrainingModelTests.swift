import Foundation
import IRPOModel
import XCTest
@testable import IRPOTraining

/// The trainer with LoRA adapters on the tiny fixture Llama: only adapter-sized buffers, a frozen
/// base, a merged model folder that reloads with the adapted log-probs, and exact resume.
final class LoRATrainingModelTests: XCTestCase {
    var fixtureModel: String {
        get throws { try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil)).appendingPathComponent("model").path }
    }

    let lora = LoRAConfiguration(rank: 4, alpha: 8)

    func trainer<Model: TrainableLanguageModel>(_ model: Model, examples: [TrainingExample], steps: Int, output: URL? = nil,
                                               checkpointEvery: Int = 0) throws -> Trainer<Model> {
        let reference = try ReferenceLogProbs.compute(model: try LlamaTrainingModel(path: try fixtureModel), examples: examples,
                                                      referenceModel: "fixture")
        var configuration = TrainerConfiguration()
        configuration.objective = .rpo(alpha: 1, beta: 0.5)
        configuration.learningRate = 1e-2
        configuration.batchSize = 4
        configuration.microBatchSize = 2
        configuration.maxSteps = steps
        configuration.checkpointEvery = checkpointEvery
        configuration.seed = 5
        return try Trainer(model: model, examples: examples, reference: reference, configuration: configuration, outputDirectory: output)
    }

    func testTrainsOnlyTheAdaptersAndLearns() throws {
        let examples = ToyData.pairs(count: 8, vocabulary: 97, seed: 77)
        let model = try LoRATrainingModel(basePath: try fixtureModel, lora: lora, seed: 3)
        let base = Array(model.model.parameters.buffer)
        // B = 0 at the start: the adapted model is the base model exactly.
        let sequences = examples.map(\.chosenSequence)
        XCTAssertEqual(try model.logProbs(sequences), try LlamaTrainingModel(path: try fixtureModel).logProbs(sequences))

        let trainer = try self.trainer(model, examples: examples, steps: 20)
        // Optimizer moments (and gradients) have the adapters' size, not the model's.
        XCTAssertEqual(trainer.optimizer.count, model.adapters.parameterCount)
        XCTAssertEqual(model.gradients.count, model.adapters.parameterCount)
        XCTAssertLessThan(model.adapters.parameterCount * 4, model.model.parameterCount)
        let before = try model.logProbs(sequences).reduce(0, +)
        let first = try trainer.step()
        var last = first
        for _ in 1..<20 { last = try trainer.step() }
        XCTAssertLessThan(last.loss, first.loss - 1, "the loss should fall: \(first.loss) -> \(last.loss)")
        XCTAssertGreaterThan(try model.logProbs(sequences).reduce(0, +), before + 10, "rpo should raise the chosen log-probs")
        XCTAssertTrue(Array(model.model.parameters.buffer) == base, "the base weights must not change")
    }

    /// Training adapters on a GGUF base kept quantised in memory gives the same adapters and the
    /// same merged model, bit for bit, as training them on the same file loaded as F32.
    func testQuantisedFrozenBaseTrainsAsTheFloatLoad() throws {
        let gguf = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("IRPOModelTests/Fixtures/gguf/lora-quantized-base.gguf")
        let examples = ToyData.pairs(count: 4, vocabulary: 97, seed: 71)
        let lora = LoRAConfiguration(rank: 2, alpha: 6, dropout: 0.1)
        let frozen = try LoRATrainingModel(basePath: gguf.path, lora: lora, seed: 9)
        XCTAssertNotNil(frozen.model.frozenProjections)
        let float = try LoRATrainingModel(base: LlamaModel(ggufFile: gguf), baseModelName: gguf.path, lora: lora, seed: 9)
        XCTAssertNil(float.model.frozenProjections)
        let first = try trainer(frozen, examples: examples, steps: 2, output: try ToyData.temporaryDirectory("lora-frozen")).train()
        let second = try trainer(float, examples: examples, steps: 2, output: try ToyData.temporaryDirectory("lora-float")).train()
        XCTAssertEqual(Array(UnsafeBufferPointer(start: frozen.adapters.weights.base, count: frozen.parameterCount)).map(\.bitPattern),
                       Array(UnsafeBufferPointer(start: float.adapters.weights.base, count: float.parameterCount)).map(\.bitPattern))
        let a = try LlamaModel.loadModel(path: try XCTUnwrap(first.finalModel).path)
        let b = try LlamaModel.loadModel(path: try XCTUnwrap(second.finalModel).path)
        XCTAssertEqual(Array(a.parameters.buffer).map(\.bitPattern), Array(b.parameters.buffer).map(\.bitPattern))
        let adapterFile = try XCTUnwrap(first.finalModel).appendingPathComponent("adapter/\(LoRAAdapters.llamaCppFileName)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: adapterFile.path))
    }

    func testSavedFolderIsTheMergedModelWithPEFTAdapters() throws {
        let examples = ToyData.pairs(count: 4, vocabulary: 97, seed: 70)
        let model = try LoRATrainingModel(basePath: try fixtureModel, lora: LoRAConfiguration(rank: 2, alpha: 6, targets: [.query, .value, .down]), seed: 9)
        let output = try ToyData.temporaryDirectory("lora-save")
        let summary = try trainer(model, examples: examples, steps: 3, output: output).train()
        let folder = try XCTUnwrap(summary.finalModel)
        let adapterFolder = folder.appendingPathComponent("adapter")
        XCTAssertTrue(FileManager.default.fileExists(atPath: adapterFolder.appendingPathComponent("adapter_config.json").path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: adapterFolder.appendingPathComponent("adapter_model.safetensors").path))

        let merged = try LlamaTrainingModel(path: folder.path)
        let sequences = examples.map(\.chosenSequence) + examples.compactMap(\.rejectedSequence)
        let adapted = try model.logProbs(sequences), plain = try merged.logProbs(sequences)
        let base = try LlamaTrainingModel(path: try fixtureModel).logProbs(sequences)
        var moved = 0.0
        for i in sequences.indices {
            XCTAssertEqual(plain[i], adapted[i], accuracy: 1e-3 * max(1, abs(adapted[i])), "sequence \(i)")
            moved = max(moved, abs(adapted[i] - base[i]))
        }
        XCTAssertGreaterThan(moved, 1e-2, "three steps at lr 1e-2 should move the model")
        // Only the adapted weights differ from the base.
        let baseModel = try LlamaModel.loadModel(path: try fixtureModel)
        for entry in baseModel.layout.entries {
            let same = Array(baseModel.parameters.view(entry.kind, layer: entry.layer)) == Array(merged.model.parameters.view(entry.kind, layer: entry.layer))
            let adaptedKind = [ParameterKind.queryWeight, .valueWeight, .downWeight].contains(entry.kind)
            XCTAssertEqual(same, !adaptedKind, entry.huggingFaceName)
        }
        // The PEFT files read back as the trained adapters.
        let loaded = try LoRAAdapters.loadPEFT(from: adapterFolder, model: baseModel.configuration)
        XCTAssertTrue(Array(UnsafeBufferPointer(start: loaded.weights.base, count: loaded.parameterCount))
                      == Array(UnsafeBufferPointer(start: model.adapters.weights.base, count: model.parameterCount)))
    }

    func testKillAndResumeIsBitIdentical() throws {
        let examples = ToyData.pairs(count: 6, vocabulary: 97, seed: 71)
        let straightOutput = try ToyData.temporaryDirectory("lora-straight")
        let straight = try LoRATrainingModel(basePath: try fixtureModel, lora: lora, seed: 4)
        _ = try trainer(straight, examples: examples, steps: 6, output: straightOutput, checkpointEvery: 2).train()

        let output = try ToyData.temporaryDirectory("lora-resumed")
        let first = try trainer(try LoRATrainingModel(basePath: try fixtureModel, lora: lora, seed: 4), examples: examples, steps: 6,
                                output: output, checkpointEvery: 2)
        XCTAssertTrue(try first.train { $0.step == 3 ? .stop : .proceed }.stoppedEarly)
        let checkpoint = try XCTUnwrap(Trainer<LoRATrainingModel>.latestCheckpoint(in: output))
        XCTAssertEqual(checkpoint.lastPathComponent, "checkpoint-000002")
        let restored = try LoRATrainingModel(basePath: try fixtureModel, lora: lora, seed: 999,
                                             resumeFrom: checkpoint.appendingPathComponent("model"))
        let resumed = try trainer(restored, examples: examples, steps: 6, output: output, checkpointEvery: 2)
        try resumed.resume(from: checkpoint)
        _ = try resumed.train()
        XCTAssertTrue(Array(UnsafeBufferPointer(start: straight.parameterPointer, count: straight.parameterCount))
                      == Array(UnsafeBufferPointer(start: restored.parameterPointer, count: restored.parameterCount)),
                      "resumed adapters differ from the uninterrupted run")
        XCTAssertEqual(try String(contentsOf: straightOutput.appendingPathComponent("metrics.jsonl"), encoding: .utf8),
                       try String(contentsOf: output.appendingPathComponent("metrics.jsonl"), encoding: .utf8))

        // Other LoRA settings cannot resume these adapters (checkpoint-000002 is gone by now: only
        // the newest checkpoints are kept).
        let last = try XCTUnwrap(Trainer<LoRATrainingModel>.latestCheckpoint(in: output))
        XCTAssertEqual(last.lastPathComponent, "checkpoint-000006")
        XCTAssertThrowsError(try LoRATrainingModel(basePath: try fixtureModel, lora: LoRAConfiguration(rank: 8, alpha: 8), seed: 4,
                                                   resumeFrom: last.appendingPathComponent("model"))) { error in
            XCTAssertTrue("\(error)".contains("same LoRA settings"), "\(error)")
        }
    }
}
