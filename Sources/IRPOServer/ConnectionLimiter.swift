import Foundation
import NIOCore

/// Counts the server's open connections and refuses (closes at once) those past the cap, so
/// many idle or slow clients cannot use up the process's file descriptors.
/// Unchecked Sendable: the count is read and written only while holding `lock`.
final class ConnectionLimiter: @unchecked Sendable {
    /// Most connections open at once.
    let limit: Int
    private let lock = NSLock()
    private var open = 0

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Connections open now.
    var openCount: Int { lock.withLock { open } }

    /// Takes a place; false when `limit` connections are already open.
    func acquire() -> Bool {
        lock.withLock {
            guard open < limit else { return false }
            open += 1
            return true
        }
    }

    func release() {
        lock.withLock { open -= 1 }
    }

    /// The per-connection handler that holds a place while its connection is open.
    func makeHandler() -> Handler { Handler(limiter: self) }

    /// Holds one place from being added to a connection's pipeline until it is removed (the
    /// connection closed); closes the connection at once when no place is free.
    final class Handler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = Never
        private let limiter: ConnectionLimiter
        private var holdsPlace = false

        init(limiter: ConnectionLimiter) {
            self.limiter = limiter
        }

        func handlerAdded(context: ChannelHandlerContext) {
            holdsPlace = limiter.acquire()
            if !holdsPlace { context.close(promise: nil) }
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            if holdsPlace {
                holdsPlace = false
                limiter.release()
            }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            context.fireChannelRead(data)
        }
    }
}
