import Foundation
import Hummingbird
import IRPOGeneration

extension OpenAIResponder {
    /// What the engine reports to a streaming response.
    enum StreamEvent: Sendable {
        case token(GenerationEvent)
        case finished([[GenerationResult]])
        case failed(APIError)
    }

    /// A server-sent-events response (`data: {json}\n\n` per chunk, ending with `data: [DONE]`).
    ///
    /// Generation starts at once; tokens pass from the engine thread through an unbounded
    /// `AsyncStream`, so the engine never waits on a slow client. An engine failure after the
    /// headers went out is sent as a `data: {"error": ...}` event before `[DONE]`.
    /// - Throws: a 429 `APIError` when the engine's queue is full.
    /// - Parameters:
    ///   - opening: chunks sent before any token.
    ///   - chunks: the chunks for one token (none to send nothing).
    ///   - closing: chunks sent after the last token.
    func eventStream(
        _ plan: GenerationPlan, opening: [Data],
        chunks: @escaping @Sendable (GenerationEvent) throws -> [Data],
        closing: @escaping @Sendable ([[GenerationResult]]) throws -> [Data]
    ) throws -> Response {
        // Admitted before the headers go out, so a full queue is a plain 429.
        try admit()
        let (events, continuation) = AsyncStream<StreamEvent>.makeStream()
        let responder = self
        Task {
            do {
                let results = try await responder.generate(plan, admitted: true) { continuation.yield(.token($0)) }
                continuation.yield(.finished(results))
            } catch {
                continuation.yield(.failed(error as? APIError ?? .server("generation failed: \(error)")))
            }
            continuation.finish()
        }
        let body = ResponseBody { writer in
            for data in opening { try await writer.write(Self.sse(data)) }
            for await event in events {
                switch event {
                case let .token(token):
                    do {
                        for data in try chunks(token) { try await writer.write(Self.sse(data)) }
                    } catch {
                        try await writer.write(Self.sse(APIError.server("could not encode a chunk: \(error)").body))
                    }
                case let .finished(results):
                    do {
                        for data in try closing(results) { try await writer.write(Self.sse(data)) }
                    } catch {
                        try await writer.write(Self.sse(APIError.server("could not encode the last chunk: \(error)").body))
                    }
                case let .failed(error):
                    try await writer.write(Self.sse(error.body))
                }
            }
            try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
            try await writer.finish(nil)
        }
        return Response(status: .ok,
                        headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                        body: body)
    }

    /// One SSE event carrying `data`.
    static func sse(_ data: Data) -> ByteBuffer {
        var buffer = ByteBuffer(string: "data: ")
        buffer.writeBytes(data)
        buffer.writeString("\n\n")
        return buffer
    }
}
