import Foundation
import Hummingbird
import NIOCore
import ServiceLifecycle

/// A loopback OpenAI-style completions server for tests that misbehaves on purpose.
///
/// Prompts are "prompt-<k>"; a successful answer to a request with `n` holds the texts
/// "answer-<k>-<i>". `decide(prompt, attempt)` picks what each request gets; the ledger counts
/// attempts and successful answers per prompt, the requests in flight and their maximum.
final class FaultInjectionServer: @unchecked Sendable {
    /// What the server does with one request.
    enum Behaviour: Sendable, Equatable {
        case answer
        /// Sends part of the body, then closes the connection.
        case drop
        case status(Int, retryAfter: String?, body: String)
        /// Waits this long before answering normally.
        case stall(Double)
    }

    /// Counts kept by the server.
    actor Ledger {
        var attempts: [Int: Int] = [:]
        var answered: [Int: Int] = [:]
        var inFlight = 0
        var maxInFlight = 0
        var bodies: [Data] = []
        var authorizations: [String] = []
        var attemptTimes: [Int: [Date]] = [:]

        func enter(prompt: Int, body: Data, authorization: String?) -> Int {
            let attempt = attempts[prompt, default: 0]
            attempts[prompt] = attempt + 1
            attemptTimes[prompt, default: []].append(Date())
            inFlight += 1
            maxInFlight = max(maxInFlight, inFlight)
            bodies.append(body)
            if let authorization { authorizations.append(authorization) }
            return attempt
        }

        func leave(prompt: Int, answered success: Bool) {
            inFlight -= 1
            if success { answered[prompt, default: 0] += 1 }
        }
    }

    struct RequestBody: Decodable {
        var prompt: String?
        var n: Int?
    }

    struct DropConnection: Error {}

    let ledger: Ledger
    let port: Int
    private let task: Task<Void, any Error>
    /// Runs the application; stopped with a graceful shutdown (cancelling the task while
    /// keep-alive connections are open trips a precondition in SwiftNIO's writer).
    private let group: ServiceGroup

    /// Starts the server on 127.0.0.1 with a free port.
    /// - Parameters:
    ///   - answerDelay: seconds every normal answer takes (lets requests overlap).
    ///   - decide: the behaviour of attempt `attempt` (0-based) of prompt `prompt`.
    init(answerDelay: Double = 0.02, decide: @escaping @Sendable (_ prompt: Int, _ attempt: Int) -> Behaviour) throws {
        let ledger = Ledger()
        self.ledger = ledger
        let router = Router()
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            var request = request
            let buffer = try await request.collectBody(upTo: 1 << 20)
            let body = Data(buffer.readableBytesView)
            let decoded = try JSONDecoder().decode(RequestBody.self, from: body)
            let prompt = Int(decoded.prompt?.replacingOccurrences(of: "prompt-", with: "") ?? "") ?? -1
            let attempt = await ledger.enter(prompt: prompt, body: body, authorization: request.headers[.authorization])
            let behaviour = decide(prompt, attempt)
            switch behaviour {
            case .answer, .stall:
                if case let .stall(seconds) = behaviour {
                    // Counted in flight for 0.4 s (tests time out at 0.5 s, then the client has
                    // gone: the rest of the stall no longer counts), answered after `seconds`.
                    try? await Task.sleep(nanoseconds: 400_000_000)
                    await ledger.leave(prompt: prompt, answered: false)
                    try? await Task.sleep(nanoseconds: UInt64(max(0, seconds - 0.4) * 1e9))
                } else {
                    try? await Task.sleep(nanoseconds: UInt64(answerDelay * 1e9))
                    await ledger.leave(prompt: prompt, answered: true)
                }
                let n = decoded.n ?? 1
                let choices = (0..<n).map { "{\"index\": \($0), \"text\": \"answer-\(prompt)-\($0)\", \"finish_reason\": \"stop\"}" }
                return Self.json(200, "{\"choices\": [\(choices.joined(separator: ", "))], \"usage\": {\"completion_tokens\": \(3 * n)}}")
            case .drop:
                await ledger.leave(prompt: prompt, answered: false)
                var headers = HTTPFields()
                headers[.contentType] = "application/json"
                return Response(status: .ok, headers: headers, body: ResponseBody(contentLength: 4096) { writer in
                    try await writer.write(ByteBuffer(string: "{\"choices\": ["))
                    throw DropConnection()
                })
            case let .status(code, retryAfter, text):
                await ledger.leave(prompt: prompt, answered: false)
                var response = Self.json(code, text)
                if let retryAfter { response.headers[.retryAfter] = retryAfter }
                return response
            }
        }
        router.post("v1/completions", use: handler)
        router.get("ready") { _, _ -> Response in Response(status: .ok) }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) })
        let group = ServiceGroup(configuration: .init(services: [app], logger: app.logger))
        self.group = group
        task = Task { try await group.run() }
        let found = PortBox()
        let semaphore = DispatchSemaphore(value: 0)
        Task {
            var iterator = ports.makeAsyncIterator()
            found.port = await iterator.next() ?? 0
            semaphore.signal()
        }
        guard semaphore.wait(timeout: .now() + 30) == .success, found.port > 0 else {
            Task { await group.triggerGracefulShutdown() }
            throw FaultServerError.didNotStart
        }
        port = found.port
    }

    enum FaultServerError: Error { case didNotStart }

    private final class PortBox: @unchecked Sendable { var port = 0 }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Stops the server gracefully (open requests finish, idle connections close) and waits for it.
    func stop() {
        let semaphore = DispatchSemaphore(value: 0)
        let task = self.task
        let group = self.group
        Task {
            await group.triggerGracefulShutdown()
            _ = await task.result
            semaphore.signal()
        }
        _ = semaphore.wait(timeout: .now() + 10)
    }

    /// Reads the ledger from a synchronous test.
    func read<T: Sendable>(_ body: @escaping @Sendable (Ledger) async -> T) -> T {
        let box = ResultBox<T>()
        let semaphore = DispatchSemaphore(value: 0)
        let ledger = self.ledger
        Task {
            box.value = await body(ledger)
            semaphore.signal()
        }
        semaphore.wait()
        guard let value = box.value else { preconditionFailure("ledger read produced no value") }
        return value
    }

    private final class ResultBox<T>: @unchecked Sendable { var value: T? }

    static func json(_ status: Int, _ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: HTTPResponse.Status(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
