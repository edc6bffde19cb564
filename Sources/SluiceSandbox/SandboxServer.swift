import Foundation
import NIOCore
import NIOPosix
import SluiceHTTP
import Synchronization

/// Serves `SandboxCore` over HTTP/1.1 with keep-alive and pipelining. A request is answered on
/// its connection's event loop, without a task, unless a fault makes it wait (added latency, a
/// `hang` outage); then the waiting runs as a task and the answer is written when it is done.
/// The sandbox stands in for four APIs during benchmarks, so its cost per request is kept well
/// below the engine's.
final class SandboxServer: Sendable {
    let port: Int
    private let channel: any Channel
    private let tracker: ConnectionTracker

    private init(port: Int, channel: any Channel, tracker: ConnectionTracker) {
        self.port = port
        self.channel = channel
        self.tracker = tracker
    }

    static func start(host: String, port: Int, core: SandboxCore, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> SandboxServer {
        let tracker = ConnectionTracker()
        let maxBodyBytes = core.configuration.maxBodyBytes
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SandboxHTTPHandler(core: core, tracker: tracker, maxBodyBytes: maxBodyBytes))
                    tracker.opened(channel)
                }
            }
        let channel = try await bootstrap.bind(host: host, port: port).get()
        return SandboxServer(port: channel.localAddress?.port ?? port, channel: channel, tracker: tracker)
    }

    /// Stops accepting, lets requests in progress finish for up to `grace`, then closes every
    /// connection.
    func shutdown(grace: Duration) async {
        let closing: EventLoopFuture<Void> = channel.close()
        try? await closing.get()
        let deadline = ContinuousClock.now + grace
        while tracker.requestsInProgress > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        for connection in tracker.all() {
            let closed: EventLoopFuture<Void> = connection.close()
            try? await closed.get()
        }
    }
}

/// Open connections and requests still being answered, for a graceful shutdown.
final class ConnectionTracker: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var inProgress = 0
    }

    private let state = Mutex(State())

    func opened(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        state.withLock { $0.channels[id] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in self?.state.withLock { _ = $0.channels.removeValue(forKey: id) } }
    }

    func all() -> [any Channel] { state.withLock { Array($0.channels.values) } }
    var requestsInProgress: Int { state.withLock { $0.inProgress } }
    func began() { state.withLock { $0.inProgress += 1 } }
    func ended() { state.withLock { $0.inProgress -= 1 } }
}

/// Parses requests as they arrive, asks the core, writes each reply as one buffer. Pipelined
/// requests are answered in order: while one waits (added latency, a hang), the ones after it
/// wait their turn.
final class SandboxHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let core: SandboxCore
    private let tracker: ConnectionTracker
    private let maxBodyBytes: Int
    private var parser: HTTP1Parser
    /// A reply is being worked out asynchronously; requests behind it are not read yet.
    private var waiting = false
    /// A reply that ends the connection was written; nothing more is read.
    private var closing = false
    private var continueSent = false
    private var unflushed = false

    init(core: SandboxCore, tracker: ConnectionTracker, maxBodyBytes: Int) {
        self.core = core
        self.tracker = tracker
        self.maxBodyBytes = maxBodyBytes
        parser = HTTP1Parser(kind: .request, limits: HTTP1Parser.Limits(maxBodyBytes: maxBodyBytes))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        var bytes = unwrapInboundIn(data)
        parser.feed(&bytes)
        serve(context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushIfNeeded(context)
        context.fireChannelReadComplete()
    }

    /// Answers every complete request buffered, in order, until one has to wait.
    private func serve(context: ChannelHandlerContext) {
        while !waiting, !closing {
            let message: HTTP1Message
            do {
                guard let next = try parser.next() else {
                    if parser.awaitingContinueBody, !continueSent {
                        continueSent = true
                        var interim = context.channel.allocator.buffer(capacity: 32)
                        interim.writeStaticString("HTTP/1.1 100 Continue\r\n\r\n")
                        context.write(wrapOutboundOut(interim), promise: nil)
                        unflushed = true
                    }
                    return
                }
                message = next
            } catch {
                return refuse(error, context: context)
            }
            continueSent = false
            handle(message, context: context)
        }
    }

    private func handle(_ message: HTTP1Message, context: ChannelHandlerContext) {
        guard case .request(let method, let target) = message.startLine else { return }
        let keepAlive = message.keepAlive
        let isHEAD = method == "HEAD"
        if message.bodyTooLarge {
            return write(.response(.text(413, "the request body is larger than \(maxBodyBytes) bytes")), keepAlive: false, isHEAD: isHEAD, context: context)
        }
        let (path, query) = Self.split(target)
        var headers: [String: String] = [:]
        headers.reserveCapacity(message.headers.count)
        for field in message.headers { headers[field.name] = field.value }  // names arrive lowercased
        let host = headers["host"] ?? "127.0.0.1"
        let bytes = Array(message.body.readableBytesView)
        switch core.step(method: method, path: path, rawQuery: query, lowercasedHeaders: headers, body: bytes, host: host) {
        case .reply(let reply):
            write(reply, keepAlive: keepAlive, isHEAD: isHEAD, context: context)
        case .later(let remainder):
            waiting = true
            // Requests pipelined behind this one stay in the socket, not in memory, until it is answered.
            try? context.channel.syncOptions?.setOption(.autoRead, value: false)
            tracker.began()
            let eventLoop = context.eventLoop
            let handler = NIOLoopBound(self, eventLoop: eventLoop)
            let bound = NIOLoopBound(context, eventLoop: eventLoop)
            let tracker = self.tracker
            Task {
                let reply = await remainder()
                eventLoop.execute {
                    let handler = handler.value, context = bound.value
                    handler.write(reply, keepAlive: keepAlive, isHEAD: isHEAD, context: context)
                    handler.flushIfNeeded(context)
                    handler.waiting = false
                    tracker.ended()
                    handler.serve(context: context)
                    handler.flushIfNeeded(context)
                    if !handler.waiting, !handler.closing {
                        try? context.channel.syncOptions?.setOption(.autoRead, value: true)
                        context.read()
                    }
                }
            }
        }
    }

    /// A request that cannot be parsed gets the status that names why, and the connection closes.
    private func refuse(_ error: HTTP1ParseError, context: ChannelHandlerContext) {
        let status: Int
        switch error {
        case .headTooLarge: status = 431
        case .unsupportedVersion: status = 505
        case .unsupportedTransferEncoding: status = 501
        case .bodyTooLarge: status = 413
        default: status = 400
        }
        write(.response(.text(status, "\(error)")), keepAlive: false, isHEAD: false, context: context)
    }

    private func write(_ reply: SandboxReply, keepAlive: Bool, isHEAD: Bool, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        switch reply {
        case .closeConnection:
            closing = true
            context.close(promise: nil)
        case .response(let response):
            var buffer = context.channel.allocator.buffer(capacity: 256 + response.body.count)
            var headers: [(name: String, value: String)] = []
            headers.reserveCapacity(response.headers.count + 2)
            for header in response.headers where !HTTP1Syntax.sameName(header.name, "content-length") && !HTTP1Syntax.sameName(header.name, "connection") {
                headers.append(header)
            }
            headers.append(("Content-Length", String(response.body.count)))
            if !keepAlive { headers.append(("Connection", "close")) }
            do {
                try HTTP1Writer.response(status: response.status, reason: HTTPStatusText.text(response.status), headers: headers,
                                         body: response.body, includeBody: !isHEAD, into: &buffer)
            } catch {
                buffer.clear()
                let text = Array("the sandbox built an invalid reply: \(error)".utf8)
                try? HTTP1Writer.response(status: 500, reason: "Internal Server Error",
                                          headers: [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", String(text.count)), ("Connection", "close")],
                                          body: text, into: &buffer)
                closing = true
            }
            if keepAlive, !closing {
                context.write(wrapOutboundOut(buffer), promise: nil)  // flushed once per read burst
                unflushed = true
            } else {
                closing = true
                unflushed = false
                context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            }
        }
    }

    private func flushIfNeeded(_ context: ChannelHandlerContext) {
        guard unflushed else { return }
        unflushed = false
        context.flush()
    }

    static func split(_ uri: String) -> (path: String, query: String?) {
        guard let mark = uri.utf8.firstIndex(of: UInt8(ascii: "?")) else { return (uri, nil) }
        return (String(uri[..<mark]), String(uri[uri.utf8.index(after: mark)...]))
    }
}
