import Foundation
import Hummingbird
import HummingbirdTesting
import IRPOGeneration
@testable import IRPOServer
import IRPOTokenizer
import XCTest

final class ConcurrencyTests: XCTestCase {
    func testSixteenConcurrentRequestsAreAllAnsweredWithTheirOwnSamples() async throws {
        let harness = try ServerHarness(maxBatchSize: 8)
        defer { harness.remove() }
        // Two parameter groups (different temperatures), eight prompts each, distinct prompt ids.
        let prompts = (0..<16).map { "Q: \($0)+\($0 * 3)=" }
        let local = try harness.localBackend(batchSize: 5)
        var expected: [String] = []
        for (index, prompt) in prompts.enumerated() {
            let parameters = GenerateParameters(temperature: index % 2 == 0 ? 1 : 0.5, maxNewTokens: 12, seed: 21)
            let result = try local.complete(prompts: [prompt], promptIDs: [100 + index], parameters: parameters,
                                            samplesPerPrompt: 2, progress: { _, _ in })
            expected.append(result[0].map(\.text).joined(separator: "|"))
        }
        let want = expected
        try await harness.withClient { client in
            let answers = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for (index, prompt) in prompts.enumerated() {
                    group.addTask {
                        let response = try await client.post("/v1/completions", [
                            "prompt": prompt, "n": 2, "max_tokens": 12, "seed": 21, "irpo_prompt_id": 100 + index,
                            "temperature": index % 2 == 0 ? 1.0 : 0.5,
                        ])
                        XCTAssertEqual(response.status, .ok)
                        let texts = JSONBody.choices(try JSONBody.object(response)).map { $0["text"] as? String ?? "?" }
                        return (index, texts.joined(separator: "|"))
                    }
                }
                var answers = [String](repeating: "", count: prompts.count)
                for try await (index, text) in group { answers[index] = text }
                return answers
            }
            XCTAssertEqual(answers, want)
        }
        let statistics = harness.server.engineStatistics
        XCTAssertEqual(statistics.requests, 16)
        XCTAssertEqual(statistics.samples, 32)
    }

    func testWaitingRequestsWithEqualParametersShareOneRoundAndOthersWait() async throws {
        let harness = try ServerHarness(maxBatchSize: 6)
        defer { harness.remove() }
        let model = try ServedModel.load(path: harness.folder.path)
        let scheduler = EngineScheduler(model: model, maxBatchSize: 6)
        let tokenizer = CharacterTokenizer()
        let greedy = GenerateParameters.greedy(maxNewTokens: 6)
        let sampled = GenerateParameters(temperature: 1, maxNewTokens: 6, seed: 2)
        // Queued before the engine thread starts, so the rounds are deterministic:
        // [a, b, d] (greedy, n 2, 6 samples), then [c] (sampled), then [e] (greedy, n 2: over the limit).
        let plans: [(String, GenerateParameters)] = [("a", greedy), ("b", greedy), ("c", sampled), ("d", greedy), ("e", greedy)]
        let collector = ResultCollector()
        for (index, (text, parameters)) in plans.enumerated() {
            scheduler.submit(EngineScheduler.Job(
                prompts: [tokenizer.encodePrompt(text)], promptIDs: [index], parameters: parameters, samplesPerPrompt: 2,
                onToken: nil, completion: { collector.store(index, $0) }))
        }
        scheduler.start()
        let results = try await collector.wait(count: plans.count)
        scheduler.stop()
        let statistics = scheduler.statistics
        XCTAssertEqual(statistics.rounds, 3)
        XCTAssertEqual(statistics.largestRound, 3)
        XCTAssertEqual(statistics.requests, 5)
        // Batched results equal each request run alone.
        let reference = Generator(model: model.model, maxBatchSize: 1, tokenizer: tokenizer)
        for (index, (text, parameters)) in plans.enumerated() {
            let alone = try reference.generate(prompts: [tokenizer.encodePrompt(text)], parameters: parameters, samplesPerPrompt: 2,
                                               promptIDs: [index])
            XCTAssertEqual(results[index].map(\.tokens), alone[0].map(\.tokens), "request \(text)")
            XCTAssertEqual(results[index].map(\.promptIndex), [0, 0])
        }
    }

    func testStoppedSchedulerFailsNewJobsWithAClearError() async throws {
        let harness = try ServerHarness()
        defer { harness.remove() }
        let scheduler = EngineScheduler(model: try ServedModel.load(path: harness.folder.path), maxBatchSize: 2)
        scheduler.start()
        scheduler.stop()
        do {
            _ = try await scheduler.generate(prompts: [[1, 5]], promptIDs: [0], parameters: .greedy(maxNewTokens: 2), samplesPerPrompt: 1)
            XCTFail("a stopped scheduler accepted a job")
        } catch let error as ServerError {
            XCTAssertTrue(error.message.contains("shutting down"))
        }
    }
}

/// Collects job results from the engine thread: `[job] -> rows`, one sample row per job here.
private final class ResultCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Int: Result<[[GenerationResult]], any Error>] = [:]

    func store(_ index: Int, _ result: Result<[[GenerationResult]], any Error>) {
        lock.withLock { results[index] = result }
    }

    /// Waits until `count` jobs finished; returns each job's single prompt row, by job index.
    func wait(count: Int) async throws -> [[GenerationResult]] {
        while true {
            let snapshot = lock.withLock { results }
            if snapshot.count == count {
                return try (0..<count).map { index in
                    guard let result = snapshot[index] else { throw ServerError("job \(index) missing") }
                    return try result.get()[0]
                }
            }
            try await Task.sleep(nanoseconds: 5_000_000)
        }
    }
}
