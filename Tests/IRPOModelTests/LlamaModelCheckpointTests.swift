import Foundation
import XCTest
import IRPOFormats
@testable import IRPOModel

final class LlamaModelCheckpointTests: XCTestCase {
    func testSaveLoadRoundTripIsIdentical() throws {
        for tied in [true, false] {
            for modelType in ["llama", "qwen2", "mistral"] {
                let folder = try TestSupport.temporaryFolder(self)
                let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(modelType: modelType, tied: tied), seed: 21)
                try model.save(to: folder)
                let loaded = try LlamaModel.loadModel(path: folder.path)
                var expected = model.configuration
                expected.dtype = "float32"   // save() records the dtype it wrote
                XCTAssertEqual(loaded.configuration, expected)
                XCTAssertEqual(Array(loaded.parameters.buffer), Array(model.parameters.buffer))
                let names = try SafetensorsCheckpoint(directory: folder).tensorNames
                XCTAssertEqual(names.contains("lm_head.weight"), !tied, "tied models are saved without lm_head.weight")
                XCTAssertEqual(try loaded.logits([[1, 2, 3]]), try model.logits([[1, 2, 3]]))
                // Saving the loaded model keeps config.json keys we don't model and is stable.
                let again = try TestSupport.temporaryFolder(self)
                try loaded.save(to: again)
                XCTAssertEqual(try Data(contentsOf: again.appendingPathComponent("config.json")),
                               try Data(contentsOf: folder.appendingPathComponent("config.json")))
            }
        }
    }

    func testFixtureFolderResavesWithItsExtraKeys() throws {
        let source = try TestSupport.modelFixtures().appendingPathComponent("llama-tied-gqa")
        let model = try LlamaModel(huggingFaceFolder: source)
        let folder = try TestSupport.temporaryFolder(self)
        try model.save(to: folder)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("config.json"))) as? [String: Any])
        XCTAssertEqual(object["pretraining_tp"] as? Int, 1)
        XCTAssertEqual((object["rope_parameters"] as? [String: Any])?["rope_theta"] as? Double, 10000)
        let reloaded = try LlamaModel(huggingFaceFolder: folder)
        XCTAssertEqual(Array(reloaded.parameters.buffer), Array(model.parameters.buffer))
    }

    /// The tensors of a saved tiny model, to tamper with.
    private func savedTensors(_ model: LlamaModel) -> [(name: String, shape: [Int], values: [Float])] {
        model.layout.entries.map { ($0.huggingFaceName, $0.shape, Array(model.parameters.view($0.kind, layer: $0.layer))) }
    }

    private func configObject(_ model: LlamaModel) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: model.configuration.jsonData()) as? [String: Any])
    }

    func testMissingTensorIsNamed() throws {
        let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(), seed: 2)
        let folder = try TestSupport.temporaryFolder(self)
        try TestSupport.writeFolder(folder, configJSON: configObject(model),
                                    tensors: savedTensors(model).filter { $0.name != "model.layers.1.mlp.up_proj.weight" })
        XCTAssertThrowsError(try LlamaModel.loadModel(path: folder.path)) { error in
            XCTAssertEqual(error as? ModelError, .missingTensor(name: "model.layers.1.mlp.up_proj.weight", folder: folder.path))
        }
        // An untied model needs lm_head.weight.
        let untied = folder.appendingPathComponent("untied")
        try TestSupport.writeFolder(untied, configJSON: configObject(model),
                                    tensors: savedTensors(model).filter { $0.name != "lm_head.weight" })
        XCTAssertThrowsError(try LlamaModel.loadModel(path: untied.path)) { error in
            XCTAssertTrue("\(error)".contains("tensor lm_head.weight is missing"), "\(error)")
        }
    }

    func testWrongShapeIsNamed() throws {
        let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(), seed: 2)
        let folder = try TestSupport.temporaryFolder(self)
        let tensors = savedTensors(model).map { tensor -> (name: String, shape: [Int], values: [Float]) in
            tensor.name == "model.layers.0.self_attn.k_proj.weight" ? (tensor.name, [16, 8], tensor.values) : tensor
        }
        try TestSupport.writeFolder(folder, configJSON: configObject(model), tensors: tensors)
        XCTAssertThrowsError(try LlamaModel.loadModel(path: folder.path)) { error in
            XCTAssertEqual(error as? ModelError, .shapeMismatch(name: "model.layers.0.self_attn.k_proj.weight", folder: folder.path,
                                                              expected: [8, 16], found: [16, 8]))
        }
    }

    func testBadConfigInFolderIsNamed() throws {
        let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(), seed: 2)
        let folder = try TestSupport.temporaryFolder(self)
        var config = try configObject(model)
        config["model_type"] = "falcon"
        try TestSupport.writeFolder(folder, configJSON: config, tensors: savedTensors(model))
        XCTAssertThrowsError(try LlamaModel.loadModel(path: folder.path)) { error in
            XCTAssertTrue("\(error)".contains("model_type = falcon"), "\(error)")
        }
        try Data("{not json".utf8).write(to: folder.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try LlamaModel.loadModel(path: folder.path)) { error in
            XCTAssertTrue("\(error)".contains(folder.appendingPathComponent("config.json").path), "\(error)")
        }
        try FileManager.default.removeItem(at: folder.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try LlamaModel.loadModel(path: folder.path)) { error in
            XCTAssertTrue("\(error)".contains("config.json"), "\(error)")
        }
    }

    func testMissingPathAndMissingWeightsAreReported() throws {
        XCTAssertThrowsError(try LlamaModel.loadModel(path: "/nonexistent/model")) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/model: does not exist"), "\(error)")
        }
        let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(), seed: 2)
        let folder = try TestSupport.temporaryFolder(self)
        try model.save(to: folder)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try LlamaModel.loadModel(path: folder.path)) { error in
            XCTAssertTrue(error is FormatError, "\(error)")
        }
    }
}
