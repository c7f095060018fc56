import Foundation
import IRPOBackends
import IRPOGeneration
@testable import IRPOPipeline

/// Shared pieces of the pipeline tests: a tiny seed model and config, and a backend that records calls.
enum PipelineTestSupport {
    /// Trains the tiny demo M0 (a few SFT steps) into `<output>/m0/model` and returns its config
    /// (synthetic task, `iterations` iterations, checkpoints every step).
    static func tinyRun(output: URL, iterations: Int = 1) throws -> (seed: URL, config: RunConfig) {
        var settings = DemoSettings.tiny
        settings.threads = 1
        let demo = Demo(settings: settings)
        try demo.trainSeedModel(output: output)
        let seed = Demo.seedModelFolder(output: output)
        var config = demo.runConfig(seedModel: seed)
        config.iterations = iterations
        config.training.trainer.checkpointEvery = 1
        return (seed, config)
    }

    /// The bytes of `path` under `root` (empty when missing, so comparisons fail visibly).
    static func bytes(_ root: URL, _ path: String) -> Data {
        (try? Data(contentsOf: root.appendingPathComponent(path))) ?? Data()
    }
}

/// Wraps a backend and records every request.
final class RecordingBackend: InferenceBackend {
    struct Call: Equatable {
        var model: String
        var promptIDs: [Int]
        var samplesPerPrompt: Int
        var temperature: Float
    }

    let inner: any InferenceBackend
    let model: String
    let record: (Call) -> Void
    var name: String { inner.name }

    init(inner: any InferenceBackend, model: String, record: @escaping (Call) -> Void) {
        self.inner = inner
        self.model = model
        self.record = record
    }

    func complete(prompts: [String], promptIDs: [Int], parameters: GenerateParameters, samplesPerPrompt: Int,
                  progress: (Int, Int) -> Void,
                  promptFinished: (Int, [BackendCompletion]) throws -> Void) throws -> [[BackendCompletion]] {
        record(Call(model: model, promptIDs: promptIDs, samplesPerPrompt: samplesPerPrompt, temperature: parameters.temperature))
        return try inner.complete(prompts: prompts, promptIDs: promptIDs, parameters: parameters, samplesPerPrompt: samplesPerPrompt,
                                  progress: progress, promptFinished: promptFinished)
    }
}

/// The error the tests' interruption hooks throw.
struct TestInterruption: Error, Equatable {
    var point: RunInterruptionPoint
}
