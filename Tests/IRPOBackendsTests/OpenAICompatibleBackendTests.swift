import Foundation
import IRPOGeneration
import XCTest
@testable import IRPOBackends

/// The HTTP backend against `FaultInjectionServer` on loopback: retries, bounded concurrency,
/// per-prompt delivery and the errors that stop a run.
final class OpenAICompatibleBackendTests: XCTestCase {
    var server: FaultInjectionServer?

    override func tearDown() {
        server?.stop()
        server = nil
    }

    func start(answerDelay: Double = 0.02, _ decide: @escaping @Sendable (Int, Int) -> FaultInjectionServer.Behaviour) throws -> FaultInjectionServer {
        let started = try FaultInjectionServer(answerDelay: answerDelay, decide: decide)
        server = started
        return started
    }

    /// Short timeouts and backoffs so every test takes a few seconds at most.
    func configuration(_ server: FaultInjectionServer, concurrency: Int = 4, retries: Int = 5) -> OpenAICompatibleConfiguration {
        var configuration = OpenAICompatibleConfiguration(baseURL: server.baseURL, model: "tiny")
        configuration.maxConcurrency = concurrency
        configuration.maxRetries = retries
        configuration.timeoutSeconds = 0.5
        configuration.initialBackoffSeconds = 0.01
        configuration.maxBackoffSeconds = 0.05
        return configuration
    }

    func prompts(_ count: Int) -> [String] { (0..<count).map { "prompt-\($0)" } }

    /// A seeded fraction of the first three attempts of every prompt fail in one of four ways; the
    /// fourth attempt always succeeds, so a budget of 5 retries must finish every prompt.
    func testEveryPromptArrivesOnceDespiteDropsErrorsAndStalls() throws {
        let server = try start { prompt, attempt in
            var random = SampleStream(seed: 42, prompt: prompt, sample: attempt)
            guard attempt < 3, random.nextUniform() < 0.45 else { return .answer }
            switch random.next() % 4 {
            case 0: return .drop
            case 1: return .status(500, retryAfter: nil, body: "{\"error\": {\"message\": \"engine crashed\"}}")
            case 2: return .status(429, retryAfter: "0", body: "{\"error\": {\"message\": \"slow down\"}}")
            default: return .stall(1.5)
            }
        }
        let backend = try OpenAICompatibleBackend(configuration: configuration(server))
        let count = 24
        var delivered: [Int: [BackendCompletion]] = [:]
        var deliveries = 0
        var lastProgress = (0, 0)
        let results = try backend.complete(prompts: prompts(count), promptIDs: Array(100..<(100 + count)),
                                           parameters: GenerateParameters(maxNewTokens: 8), samplesPerPrompt: 3,
                                           progress: { lastProgress = ($0, $1) },
                                           promptFinished: { index, completions in
                                               deliveries += 1
                                               XCTAssertNil(delivered[index], "prompt \(index) delivered twice")
                                               delivered[index] = completions
                                           })
        XCTAssertEqual(deliveries, count)
        XCTAssertEqual(results.count, count)
        for (index, row) in results.enumerated() {
            XCTAssertEqual(row.map(\.text), (0..<3).map { "answer-\(index)-\($0)" })
            XCTAssertEqual(row.map(\.tokenCount), [3, 3, 3], "usage split over the choices")
            XCTAssertEqual(delivered[index], row)
        }
        XCTAssertEqual(lastProgress.0, 3 * count)
        XCTAssertEqual(lastProgress.1, 3 * count)

        let attempts = server.read { await $0.attempts }
        let answered = server.read { await $0.answered }
        XCTAssertEqual(answered, Dictionary(uniqueKeysWithValues: (0..<count).map { ($0, 1) }), "each prompt answered exactly once")
        XCTAssertGreaterThan(attempts.values.reduce(0, +), count, "faults were injected and retried")
        XCTAssertLessThanOrEqual(attempts.values.max() ?? 0, 4, "within the retry budget")
        XCTAssertLessThanOrEqual(server.read { await $0.maxInFlight }, 4)
    }

    func testInFlightRequestsNeverExceedTheConcurrencyBound() throws {
        let server = try start(answerDelay: 0.05) { _, _ in .answer }
        let backend = try OpenAICompatibleBackend(configuration: configuration(server, concurrency: 3))
        let results = try backend.complete(prompts: prompts(30), promptIDs: Array(0..<30),
                                           parameters: GenerateParameters(maxNewTokens: 4), samplesPerPrompt: 1, progress: { _, _ in })
        XCTAssertEqual(results.map { $0.map(\.text) }, (0..<30).map { ["answer-\($0)-0"] })
        let most = server.read { await $0.maxInFlight }
        XCTAssertLessThanOrEqual(most, 3)
        XCTAssertGreaterThanOrEqual(most, 2, "requests run concurrently")
    }

    func testUnauthorizedStopsWithTheKeyVariableName() throws {
        let server = try start { _, _ in .status(401, retryAfter: nil, body: "{\"error\": {\"message\": \"invalid api key\"}}") }
        var configuration = configuration(server)
        configuration.apiKeyEnvironmentVariable = "IRPO_TEST_KEY"
        let backend = try OpenAICompatibleBackend(configuration: configuration, environment: ["IRPO_TEST_KEY": "sekret"])
        XCTAssertThrowsError(try backend.complete(prompts: prompts(5), promptIDs: Array(0..<5), parameters: GenerateParameters(maxNewTokens: 4),
                                                  samplesPerPrompt: 2, progress: { _, _ in })) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("HTTP 401"), message)
            XCTAssertTrue(message.contains("IRPO_TEST_KEY"), message)
            XCTAssertTrue(message.contains("invalid api key"), message)
            XCTAssertFalse(message.contains("sekret"), "the key never appears in messages")
        }
        XCTAssertEqual(server.read { await $0.attempts.values.max() ?? 0 }, 1, "a 401 is not retried")
        XCTAssertTrue(server.read { await $0.authorizations }.allSatisfy { $0 == "Bearer sekret" })
    }

    func testUnsetKeyVariableIsNamed() throws {
        var configuration = OpenAICompatibleConfiguration(baseURL: "http://127.0.0.1:9", model: "m")
        configuration.apiKeyEnvironmentVariable = "IRPO_MISSING_KEY"
        XCTAssertThrowsError(try OpenAICompatibleBackend(configuration: configuration, environment: [:])) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("IRPO_MISSING_KEY") && message.contains("is not set"), message)
        }
    }

    func testOtherClientErrorsStopWithStatusAndBodyStart() throws {
        let server = try start { _, _ in .status(400, retryAfter: nil, body: "{\"error\": {\"message\": \"model 'tiny' does not exist\"}}") }
        let backend = try OpenAICompatibleBackend(configuration: configuration(server))
        XCTAssertThrowsError(try backend.complete(prompts: prompts(2), promptIDs: [7, 8], parameters: GenerateParameters(maxNewTokens: 4),
                                                  samplesPerPrompt: 1, progress: { _, _ in })) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("HTTP 400"), message)
            XCTAssertTrue(message.contains("does not exist"), message)
        }
    }

    func testExhaustedRetriesNameThePromptAndTheLastFailure() throws {
        let server = try start { prompt, _ in
            prompt == 3 ? .status(503, retryAfter: nil, body: "overloaded") : .answer
        }
        let backend = try OpenAICompatibleBackend(configuration: configuration(server, concurrency: 1, retries: 2))
        var finished: [Int] = []
        XCTAssertThrowsError(try backend.complete(prompts: prompts(5), promptIDs: [10, 11, 12, 13, 14], parameters: GenerateParameters(maxNewTokens: 4),
                                                  samplesPerPrompt: 1, progress: { _, _ in },
                                                  promptFinished: { index, _ in finished.append(index) })) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("prompt 13 failed after 3 attempts"), message)
            XCTAssertTrue(message.contains("HTTP 503: overloaded"), message)
        }
        XCTAssertEqual(finished, [0, 1, 2], "prompts answered before the failure were delivered (and persisted)")
        XCTAssertEqual(server.read { await $0.attempts[3] }, 3)
    }

    func testRetryAfterIsHonoured() throws {
        let server = try start { _, attempt in
            attempt == 0 ? .status(429, retryAfter: "1", body: "busy") : .answer
        }
        let backend = try OpenAICompatibleBackend(configuration: { var c = self.configuration(server); c.maxBackoffSeconds = 5; return c }())
        let results = try backend.complete(prompts: prompts(1), promptIDs: [0], parameters: GenerateParameters(maxNewTokens: 4),
                                           samplesPerPrompt: 1, progress: { _, _ in })
        XCTAssertEqual(results, [[BackendCompletion(text: "answer-0-0", tokenCount: 3, finishReason: .eos)]])
        let times = server.read { await $0.attemptTimes[0] ?? [] }
        XCTAssertEqual(times.count, 2)
        if times.count == 2 {
            XCTAssertGreaterThanOrEqual(times[1].timeIntervalSince(times[0]), 0.9, "waited for Retry-After: 1 (not the 0.01 s backoff)")
        }
    }

    func testBackoffGrowsWithJitterAndRespectsTheCaps() throws {
        var configuration = OpenAICompatibleConfiguration(baseURL: "http://127.0.0.1:9", model: "m")
        configuration.initialBackoffSeconds = 1
        configuration.maxBackoffSeconds = 10
        let backend = try OpenAICompatibleBackend(configuration: configuration)
        for _ in 0..<20 {
            XCTAssertTrue((0.5...1).contains(backend.backoff(attempt: 0, retryAfter: nil)))
            XCTAssertTrue((2...4).contains(backend.backoff(attempt: 2, retryAfter: nil)))
            XCTAssertTrue((5...10).contains(backend.backoff(attempt: 9, retryAfter: nil)))
        }
        XCTAssertEqual(backend.backoff(attempt: 0, retryAfter: 3), 3)
        XCTAssertEqual(backend.backoff(attempt: 0, retryAfter: 120), 10, "Retry-After is capped at max_backoff_seconds")
    }

    func testRequestBodiesCarryTheSamplingFieldsAndPerPromptSeeds() throws {
        var configuration = OpenAICompatibleConfiguration(baseURL: "http://127.0.0.1:9/v1/", model: "m")
        let parameters = GenerateParameters(temperature: 0.7, topP: 0.9, topK: 5, maxNewTokens: 12, stop: ["\n\n"], seed: 99)
        let plain = try OpenAICompatibleBackend(configuration: configuration)
        XCTAssertEqual(configuration.endpoint, "http://127.0.0.1:9/v1/completions")
        let a = plain.request(prompt: "Q", promptID: 1, parameters: parameters, n: 4)
        let b = plain.request(prompt: "Q", promptID: 2, parameters: parameters, n: 4)
        XCTAssertEqual(a.prompt, "Q")
        XCTAssertNil(a.messages)
        XCTAssertEqual(a.n, 4)
        XCTAssertEqual(a.temperature, 0.7)
        XCTAssertEqual(a.topP, 0.9)
        XCTAssertEqual(a.topK, 5)
        XCTAssertNil(a.minP, "defaults are not sent")
        XCTAssertEqual(a.maxTokens, 12)
        XCTAssertEqual(a.stop, ["\n\n"])
        XCTAssertNil(a.irpoPromptID)
        XCTAssertNotEqual(a.seed, b.seed, "per-prompt seeds differ between prompts")
        XCTAssertEqual(a.seed, OpenAICompatibleBackend.derivedSeed(seed: 99, promptID: 1))
        XCTAssertLessThan(a.seed, 1 << 31)
        XCTAssertNotEqual(OpenAICompatibleBackend.derivedSeed(seed: 98, promptID: 1), a.seed)
        XCTAssertNil(a.addSpecialTokens, "plain prompts let the server add its BOS")
        XCTAssertFalse(try XCTUnwrap(String(data: JSONEncoder().encode(a), encoding: .utf8)).contains("add_special_tokens"))
        var rendered = configuration
        rendered.promptsIncludeSpecialTokens = true
        let chatText = try OpenAICompatibleBackend(configuration: rendered).request(prompt: "Q", promptID: 1, parameters: parameters, n: 4)
        XCTAssertEqual(chatText.addSpecialTokens, false, "a rendered chat template must not get a second BOS")
        XCTAssertTrue(try XCTUnwrap(String(data: JSONEncoder().encode(chatText), encoding: .utf8)).contains("\"add_special_tokens\":false"))

        configuration.seedMode = .irpo
        configuration.chat = true
        let irpo = try OpenAICompatibleBackend(configuration: configuration)
        XCTAssertEqual(configuration.endpoint, "http://127.0.0.1:9/v1/chat/completions")
        let c = irpo.request(prompt: "Q", promptID: 5, parameters: parameters, n: 2)
        XCTAssertEqual(c.seed, 99)
        XCTAssertEqual(c.irpoPromptID, 5)
        XCTAssertNil(c.prompt)
        XCTAssertEqual(c.messages, [OpenAICompatibleWire.Message(role: "user", content: "Q")])
        let json = try XCTUnwrap(String(data: JSONEncoder().encode(c), encoding: .utf8))
        XCTAssertTrue(json.contains("\"irpo_prompt_id\":5"), json)
        XCTAssertTrue(json.contains("\"max_tokens\":12"), json)
    }

    func testInvalidConfigurationsAreNamed() {
        func message(_ change: (inout OpenAICompatibleConfiguration) -> Void) -> String {
            var configuration = OpenAICompatibleConfiguration(baseURL: "http://127.0.0.1:8000", model: "m")
            change(&configuration)
            do { try configuration.validate(); return "" } catch { return "\(error)" }
        }
        XCTAssertEqual(message { _ in }, "")
        XCTAssertTrue(message { $0.baseURL = "127.0.0.1:8000" }.contains("base_url"))
        XCTAssertTrue(message { $0.model = "" }.contains("model"))
        XCTAssertTrue(message { $0.apiKeyEnvironmentVariable = "sk-abc123" }.contains("api_key_env"))
        XCTAssertTrue(message { $0.maxConcurrency = 0 }.contains("max_concurrency"))
        XCTAssertTrue(message { $0.timeoutSeconds = 0 }.contains("timeout_seconds"))
        XCTAssertTrue(message { $0.maxRetries = -1 }.contains("max_retries"))
    }
}
