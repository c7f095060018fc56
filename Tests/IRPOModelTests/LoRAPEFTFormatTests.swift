import Foundation
import XCTest
@testable import IRPOModel
import IRPOFormats

/// PEFT's adapter files: names and shapes as PEFT writes them, a lossless round trip, and
/// refusal of adapter folders this engine cannot compute.
final class LoRAPEFTFormatTests: XCTestCase {
    private func adapters(_ targets: [LoRATarget] = LoRATarget.allCases) throws -> LoRAAdapters {
        let adapters = try LoRAAdapters(model: TestSupport.tinyConfiguration(), lora: LoRAConfiguration(rank: 2, alpha: 8, targets: targets), seed: 3)
        for adapter in adapters.layout.adapters {
            let b = adapters.weights.b(adapter)
            for i in b.indices { b[i] = Float(i % 7) * 0.01 - 0.03 }
        }
        return adapters
    }

    func testWritesPEFTNamesAndShapesAndReadsThemBack() throws {
        let folder = try TestSupport.temporaryFolder(self)
        let original = try adapters()
        try original.savePEFT(to: folder, baseModel: "/models/base")
        let file = try SafetensorsFile(contentsOf: folder.appendingPathComponent("adapter_model.safetensors"))
        XCTAssertEqual(file.tensorNames.count, 2 * 7 * 2)
        let q = try XCTUnwrap(file.info("base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight"))
        XCTAssertEqual(q.shape, [2, 16])
        let down = try XCTUnwrap(file.info("base_model.model.model.layers.0.mlp.down_proj.lora_B.weight"))
        XCTAssertEqual(down.shape, [16, 2])
        XCTAssertEqual(try XCTUnwrap(file.info("base_model.model.model.layers.0.mlp.down_proj.lora_A.weight")).shape, [2, 24])
        XCTAssertEqual(try XCTUnwrap(file.info("base_model.model.model.layers.0.self_attn.k_proj.lora_B.weight")).shape, [8, 2])

        let config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("adapter_config.json"))) as? [String: Any])
        XCTAssertEqual(config["peft_type"] as? String, "LORA")
        XCTAssertEqual(config["task_type"] as? String, "CAUSAL_LM")
        XCTAssertEqual((config["r"] as? NSNumber)?.intValue, 2)
        XCTAssertEqual((config["lora_alpha"] as? NSNumber)?.doubleValue, 8)
        XCTAssertEqual(config["target_modules"] as? [String], ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
        XCTAssertEqual(config["base_model_name_or_path"] as? String, "/models/base")

        let loaded = try LoRAAdapters.loadPEFT(from: folder, model: TestSupport.tinyConfiguration())
        XCTAssertEqual(loaded.configuration, original.configuration)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: loaded.weights.base, count: loaded.weights.count)),
                       Array(UnsafeBufferPointer(start: original.weights.base, count: original.weights.count)))
    }

    func testSubsetOfTargetsRoundTrips() throws {
        let folder = try TestSupport.temporaryFolder(self)
        let original = try adapters([.value, .gate])
        try original.savePEFT(to: folder, baseModel: nil)
        let loaded = try LoRAAdapters.loadPEFT(from: folder, model: TestSupport.tinyConfiguration())
        XCTAssertEqual(loaded.configuration.targets, [.value, .gate])
        XCTAssertEqual(loaded.parameterCount, original.parameterCount)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: loaded.weights.base, count: loaded.weights.count)),
                       Array(UnsafeBufferPointer(start: original.weights.base, count: original.weights.count)))
    }

    func testHostileAdapterFoldersAreRefused() throws {
        let model = TestSupport.tinyConfiguration()
        func check(_ edit: ([String: Any]) -> [String: Any], _ message: String, line: UInt = #line) throws {
            let folder = try TestSupport.temporaryFolder(self)
            try adapters().savePEFT(to: folder, baseModel: nil)
            let url = folder.appendingPathComponent("adapter_config.json")
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            try JSONSerialization.data(withJSONObject: edit(object)).write(to: url)
            XCTAssertThrowsError(try LoRAAdapters.loadPEFT(from: folder, model: model), line: line) { error in
                XCTAssertTrue("\(error)".contains(message), "\(error) should contain \(message)", line: line)
            }
        }
        try check({ var o = $0; o["peft_type"] = "IA3"; return o }, "not LORA")
        try check({ var o = $0; o["r"] = 2.5; return o }, "whole number")
        try check({ var o = $0; o["r"] = 1_000_000; return o }, "lora.rank")
        try check({ var o = $0; o["use_dora"] = true; return o }, "use_dora")
        try check({ var o = $0; o["bias"] = "all"; return o }, "bias")
        try check({ var o = $0; o["layers_to_transform"] = [0]; return o }, "layers_to_transform")
        try check({ var o = $0; o["target_modules"] = ["embed_tokens"]; return o }, "embed_tokens")
        try check({ var o = $0; o["target_modules"] = ["q_proj"]; return o }, "holds tensor")
        try check({ var o = $0; o["r"] = 3; return o }, "shape")
        try check({ var o = $0; o["lora_alpha"] = "big"; return o }, "lora_alpha")

        let folder = try TestSupport.temporaryFolder(self)
        try adapters().savePEFT(to: folder, baseModel: nil)
        XCTAssertThrowsError(try LoRAAdapters.loadPEFT(from: folder, model: TestSupport.tinyConfiguration(kvHeads: 4))) { error in
            XCTAssertTrue("\(error)".contains("k_proj.lora_B.weight"), "\(error)")
        }
        try FileManager.default.removeItem(at: folder.appendingPathComponent("adapter_config.json"))
        XCTAssertThrowsError(try LoRAAdapters.loadPEFT(from: folder, model: model)) { error in
            XCTAssertTrue("\(error)".contains("adapter_config.json"), "\(error)")
        }
    }
}
