import Foundation
import IRPOBackends
import IRPOGeneration
@testable import IRPOServer
import XCTest

/// `OpenAICompatibleBackend` against `irpo serve` (`OpenAIServer`) on a loopback socket: with
/// `seed_mode: irpo` the samples equal `LocalInferenceBackend`'s for the same seed and prompt ids.
final class HTTPBackendLoopbackTests: XCTestCase {
    /// Runs async work from a synchronous test (the backend blocks its calling thread, which must
    /// not be one of the concurrency pool's threads).
    func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = LoopbackResultBox<T>()
        let semaphore = DispatchSemaphore(value: 0)
        Task {
            do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
            semaphore.signal()
        }
        semaphore.wait()
        guard let result = box.result else { throw ServerError("no result") }
        return try result.get()
    }

    func testSamplingOverHTTPEqualsTheLocalEngine() throws {
        let harness = try ServerHarness(maxBatchSize: 4)
        defer { harness.remove() }
        let server = harness.server
        let port = try blocking { try await server.start() }
        defer { _ = try? blocking { await server.shutdown() } }

        var configuration = OpenAICompatibleConfiguration(baseURL: "http://127.0.0.1:\(port)/v1", model: "tiny")
        configuration.seedMode = .irpo
        configuration.maxConcurrency = 3
        configuration.timeoutSeconds = 120
        let remote = try OpenAICompatibleBackend(configuration: configuration)
        let local = try harness.localBackend(batchSize: 5)

        let prompts = (0..<5).map { "Q: \($0) + \(7 * $0) = ?\nA:" }
        let ids = [12, 3, 40, 0, 7]
        for parameters in [GenerateParameters(temperature: 0.9, topP: 0.95, maxNewTokens: 12, seed: 1234),
                           GenerateParameters(temperature: 1.3, topK: 20, maxNewTokens: 8, seed: 99),
                           GenerateParameters.greedy(maxNewTokens: 10)] {
            var delivered: [Int] = []
            let overHTTP = try remote.complete(prompts: prompts, promptIDs: ids, parameters: parameters, samplesPerPrompt: 3,
                                               progress: { _, _ in }, promptFinished: { index, _ in delivered.append(index) })
            let onCPU = try local.complete(prompts: prompts, promptIDs: ids, parameters: parameters, samplesPerPrompt: 3, progress: { _, _ in })
            XCTAssertEqual(overHTTP, onCPU, "text, token count and finish reason of every sample (seed \(parameters.seed))")
            XCTAssertEqual(delivered.sorted(), Array(0..<5))
        }

        // A subset of the prompts (a resumed stage) gets the same samples for those prompts.
        let parameters = GenerateParameters(temperature: 0.9, topP: 0.95, maxNewTokens: 12, seed: 1234)
        let all = try local.complete(prompts: prompts, promptIDs: ids, parameters: parameters, samplesPerPrompt: 2, progress: { _, _ in })
        let missing = try remote.complete(prompts: [prompts[3], prompts[1]], promptIDs: [ids[3], ids[1]], parameters: parameters,
                                          samplesPerPrompt: 2, progress: { _, _ in })
        XCTAssertEqual(missing, [all[3], all[1]])
        XCTAssertNotEqual(all[0].map(\.text), all[2].map(\.text), "different prompts give different samples")
    }

    func testPerPromptSeedsAreReproducibleOverHTTP() throws {
        let harness = try ServerHarness(maxBatchSize: 4)
        defer { harness.remove() }
        let server = harness.server
        let port = try blocking { try await server.start() }
        defer { _ = try? blocking { await server.shutdown() } }
        let backend = try OpenAICompatibleBackend(configuration: OpenAICompatibleConfiguration(baseURL: "http://127.0.0.1:\(port)", model: "tiny"))
        let parameters = GenerateParameters(temperature: 1, maxNewTokens: 10, seed: 5)
        let prompts = ["Q: 1 + 1 = ?\nA:", "Q: 2 + 2 = ?\nA:"]
        let first = try backend.complete(prompts: prompts, promptIDs: [0, 1], parameters: parameters, samplesPerPrompt: 2, progress: { _, _ in })
        let again = try backend.complete(prompts: prompts.reversed(), promptIDs: [1, 0], parameters: parameters, samplesPerPrompt: 2, progress: { _, _ in })
        XCTAssertEqual(first, again.reversed(), "a prompt's samples depend on its id and the seed, not its position")
        var other = parameters
        other.seed = 6
        let reseeded = try backend.complete(prompts: prompts, promptIDs: [0, 1], parameters: other, samplesPerPrompt: 2, progress: { _, _ in })
        XCTAssertNotEqual(first.map { $0.map(\.text) }, reseeded.map { $0.map(\.text) })
    }
}

/// The result of async work, written by the task before it signals the waiting thread.
private final class LoopbackResultBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}
