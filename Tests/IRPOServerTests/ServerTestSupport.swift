import Foundation
import Hummingbird
import HummingbirdTesting
import IRPOBackends
import IRPOGeneration
import IRPOModel
@testable import IRPOServer
import IRPOTokenizer
import XCTest

/// A tiny random Llama saved with the demo's character tokenizer, and a server over it.
struct ServerHarness {
    let folder: URL
    let server: OpenAIServer

    /// Vocabulary of `CharacterTokenizer()`: 99 tokens, BOS 1, EOS 2.
    static func configuration(context: Int) -> LlamaConfiguration {
        LlamaConfiguration(vocabularySize: CharacterTokenizer().vocabularySize, hiddenSize: 32, intermediateSize: 48, layerCount: 2,
                           attentionHeads: 4, keyValueHeads: 2, maxPositionEmbeddings: context, tieWordEmbeddings: true,
                           bosTokenID: 1, eosTokenIDs: [2])
    }

    /// Writes the model folder (config.json, model.safetensors, irpo_char_vocab.json).
    static func makeModelFolder(context: Int = 128, seed: UInt64 = 3) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("irpo-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let model = try LlamaModel(configuration: configuration(context: context))
        model.parameters.initializeRandomly(seed: seed, std: 0.25)
        try model.save(to: folder)
        try CharacterTokenizer().save(inFolder: folder)
        return folder
    }

    init(maxBodyBytes: Int = 1 << 20, maxBatchSize: Int = 8, defaultMaxTokens: Int = 24, context: Int = 128,
         maxQueuedRequests: Int = ServerLimits.defaultMaxQueuedRequests) throws {
        folder = try Self.makeModelFolder(context: context)
        let configuration = OpenAIServerConfiguration(port: 0, modelName: "tiny", maxBodyBytes: maxBodyBytes,
                                                      maxBatchSize: maxBatchSize, defaultMaxTokens: defaultMaxTokens,
                                                      maxQueuedRequests: maxQueuedRequests)
        server = try OpenAIServer(modelPath: folder.path, configuration: configuration)
    }

    /// The local engine over the same folder (the reproducibility reference).
    func localBackend(batchSize: Int = 3) throws -> LocalInferenceBackend {
        try LocalInferenceBackend(modelFolder: folder, batchSize: batchSize)
    }

    /// Runs `body` against the server in process (HummingbirdTesting's router framework).
    /// - Parameter framework: `.router` (in process, the default) or `.live` (a real socket and HTTP
    ///   parser, for tests that measure the server's own memory: the in-process client keeps some
    ///   memory per request).
    func withClient(_ framework: TestingSetup = .router,
                    _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        server.scheduler.start()
        defer { server.scheduler.stop() }
        try await server.makeApplication().test(framework) { client in try await body(client) }
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }
}

extension TestClientProtocol {
    /// POSTs a JSON object.
    func post(_ uri: String, _ object: [String: Any]) async throws -> TestResponse {
        let data = try JSONSerialization.data(withJSONObject: object)
        return try await execute(uri: uri, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: data))
    }

    /// POSTs raw bytes.
    func post(_ uri: String, raw: String) async throws -> TestResponse {
        try await execute(uri: uri, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: raw))
    }
}

enum JSONBody {
    /// The response body as a JSON object.
    static func object(_ response: TestResponse, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let data = Data(response.body.readableBytesView)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            XCTFail("body is not a JSON object: \(String(decoding: data, as: UTF8.self))", file: file, line: line)
            return [:]
        }
        return object
    }

    /// `choices` sorted by `index`.
    static func choices(_ object: [String: Any]) -> [[String: Any]] {
        ((object["choices"] as? [[String: Any]]) ?? []).sorted { ($0["index"] as? Int ?? 0) < ($1["index"] as? Int ?? 0) }
    }

    /// The `error` object of an error response.
    static func error(_ response: TestResponse) throws -> [String: Any] {
        (try object(response)["error"] as? [String: Any]) ?? [:]
    }

    /// The `data:` payloads of a server-sent-events body (the last one should be `[DONE]`).
    static func events(_ response: TestResponse) -> [String] {
        String(buffer: response.body).components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { event in
            event.hasPrefix("data: ") ? String(event.dropFirst(6)) : "<malformed: \(event)>"
        }
    }

    /// Parses one event payload.
    static func parse(_ payload: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any]) ?? [:]
    }
}

/// OpenAI's name for a local finish reason.
func openAIFinishReason(_ reason: FinishReason) -> String { reason == .length ? "length" : "stop" }
