import Foundation
import IRPOGeneration
import IRPOModel

/// Runs the synchronous engine on its own thread and batches concurrent requests into it.
///
/// Requests wait in a queue. The engine thread takes the oldest one and every other waiting
/// request with the same sampling parameters and `n` (the `Generator` takes one parameter set
/// per call), up to `maxBatchSize` samples, and runs them as one `Generator.generate` round
/// with continuous batching inside it. Requests that arrive meanwhile wait for the next round.
/// Each prompt keeps its own stream identity (`promptIDs`), and the generator's decode steps are
/// batch-invariant, so a sample does not depend on which requests shared its round.
///
/// At most `maxQueuedRequests` requests are admitted at once (waiting or running); `admit()`
/// refuses more with `QueueFull`, which the server answers 429.
/// Unchecked Sendable: its queue and counters are read and written only while holding `condition`; the generator is used by the engine thread alone.
final class EngineScheduler: @unchecked Sendable {
    /// The engine already holds `limit` admitted requests.
    struct QueueFull: Error, CustomStringConvertible {
        let limit: Int
        var description: String {
            "the server is busy: \(limit) requests are already waiting or running (its limit); retry later"
        }
    }

    /// One request's share of a round.
    struct Job: Sendable {
        /// Token ids per prompt.
        let prompts: [[Int32]]
        /// Stream identity of each prompt.
        let promptIDs: [Int]
        let parameters: GenerateParameters
        let samplesPerPrompt: Int
        /// Called on the engine thread for every token (prompt index local to the job).
        let onToken: (@Sendable (GenerationEvent) -> Void)?
        /// Called once with the job's results `[prompt][sample]` or the round's error.
        let completion: @Sendable (Result<[[GenerationResult]], any Error>) -> Void

        var sampleCount: Int { prompts.count * samplesPerPrompt }

        func batches(with other: Job) -> Bool {
            parameters == other.parameters && samplesPerPrompt == other.samplesPerPrompt
        }
    }

    private let generator: Generator
    private let maxBatchSize: Int
    private let maxQueuedRequests: Int
    /// Requests admitted and not yet completed.
    private var admitted = 0
    private let condition = NSCondition()
    private var pending: [Job] = []
    private var stopping = false
    private var started = false
    private var statisticsStorage = EngineStatistics()

    /// A scheduler over `model`; call `start()` before submitting.
    /// `maxBatchSize` and `maxQueuedRequests` come from a validated `OpenAIServerConfiguration`.
    init(model: ServedModel, maxBatchSize: Int, maxQueuedRequests: Int = ServerLimits.defaultMaxQueuedRequests,
         decodeWeights: DecodeWeightFormat = .f32) {
        self.maxBatchSize = max(1, maxBatchSize)
        self.maxQueuedRequests = max(1, maxQueuedRequests)
        generator = Generator(model: model.model, maxBatchSize: self.maxBatchSize, tokenizer: model.tokenizer,
                              decodeWeights: decodeWeights)
    }

    /// Starts the engine thread (once).
    func start() {
        condition.lock()
        defer { condition.unlock() }
        guard !started else { return }
        started = true
        let thread = Thread { [self] in loop() }
        thread.name = "irpo-engine"
        thread.stackSize = 16 << 20
        thread.start()
    }

    /// Stops accepting jobs, fails the waiting ones, and lets the engine thread end after its
    /// current round.
    func stop() {
        condition.lock()
        stopping = true
        let dropped = pending
        pending.removeAll()
        condition.broadcast()
        condition.unlock()
        for job in dropped { job.completion(.failure(Self.shuttingDown)) }
    }

    static let shuttingDown = ServerError("the server is shutting down; retry against a running server")

    /// The counters so far.
    var statistics: EngineStatistics {
        condition.lock()
        defer { condition.unlock() }
        return statisticsStorage
    }

    /// Requests admitted and not yet completed.
    var admittedCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return admitted
    }

    /// Admits one request; pair it with one `generate(..., admitted: true)` call, which releases
    /// the place when the request completes.
    /// - Throws: `QueueFull` when `maxQueuedRequests` requests are already admitted.
    func admit() throws {
        condition.lock()
        defer { condition.unlock() }
        guard admitted < maxQueuedRequests else { throw QueueFull(limit: maxQueuedRequests) }
        admitted += 1
    }

    /// Gives back the place of one admitted request (`generate` does this when it completes).
    func release() {
        condition.lock()
        admitted -= 1
        condition.unlock()
    }

    /// Queues `job`; it fails at once when the scheduler is stopping.
    func submit(_ job: Job) {
        condition.lock()
        guard !stopping else {
            condition.unlock()
            job.completion(.failure(Self.shuttingDown))
            return
        }
        pending.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Runs one request and returns its results `[prompt][sample]`.
    /// - Parameter admitted: whether the caller already called `admit()` for this request;
    ///   otherwise it is admitted here.
    /// - Throws: `QueueFull` when the queue is full, or the round's error.
    func generate(prompts: [[Int32]], promptIDs: [Int], parameters: GenerateParameters, samplesPerPrompt: Int,
                  admitted: Bool = false,
                  onToken: (@Sendable (GenerationEvent) -> Void)? = nil) async throws -> [[GenerationResult]] {
        if !admitted { try admit() }
        return try await withCheckedThrowingContinuation { continuation in
            submit(Job(prompts: prompts, promptIDs: promptIDs, parameters: parameters, samplesPerPrompt: samplesPerPrompt,
                       onToken: onToken, completion: { [self] result in
                           release()
                           continuation.resume(with: result)
                       }))
        }
    }

    private func loop() {
        while let round = nextRound() {
            execute(round)
        }
    }

    /// Blocks until work arrives; `nil` once stopping.
    private func nextRound() -> [Job]? {
        condition.lock()
        defer { condition.unlock() }
        while pending.isEmpty && !stopping { condition.wait() }
        guard !stopping, !pending.isEmpty else { return nil }
        let first = pending.removeFirst()
        var round = [first]
        var samples = first.sampleCount
        var index = 0
        while index < pending.count && samples < maxBatchSize {
            let job = pending[index]
            if job.batches(with: first) && samples + job.sampleCount <= maxBatchSize {
                round.append(job)
                samples += job.sampleCount
                pending.remove(at: index)
            } else {
                index += 1
            }
        }
        return round
    }

    /// Runs `round` as one generator call and hands each job its results.
    private func execute(_ round: [Job]) {
        var prompts: [[Int32]] = []
        var promptIDs: [Int] = []
        var owners: [(job: Int, prompt: Int)] = []
        for (jobIndex, job) in round.enumerated() {
            for (promptIndex, prompt) in job.prompts.enumerated() {
                prompts.append(prompt)
                promptIDs.append(job.promptIDs[promptIndex])
                owners.append((jobIndex, promptIndex))
            }
        }
        let start = Date()
        let outcome = Result { () throws -> [[GenerationResult]] in
            try generator.generate(prompts: prompts, parameters: round[0].parameters,
                                   samplesPerPrompt: round[0].samplesPerPrompt, promptIDs: promptIDs) { event in
                let owner = owners[event.promptIndex]
                guard let onToken = round[owner.job].onToken else { return }
                var local = event
                local.promptIndex = owner.prompt
                onToken(local)
            }
        }
        let elapsed = Date().timeIntervalSince(start)
        switch outcome {
        case let .success(results):
            condition.lock()
            statisticsStorage.rounds += 1
            statisticsStorage.requests += round.count
            statisticsStorage.samples += results.reduce(0) { $0 + $1.count }
            statisticsStorage.tokens += results.joined().reduce(0) { $0 + $1.tokens.count }
            statisticsStorage.largestRound = max(statisticsStorage.largestRound, round.count)
            statisticsStorage.busySeconds += elapsed
            condition.unlock()
            var offset = 0
            for job in round {
                let rows = results[offset..<(offset + job.prompts.count)].map { row in
                    row.map { result -> GenerationResult in
                        var local = result
                        local.promptIndex -= offset
                        return local
                    }
                }
                offset += job.prompts.count
                job.completion(.success(rows))
            }
        case let .failure(error):
            for job in round { job.completion(.failure(error)) }
        }
    }
}
