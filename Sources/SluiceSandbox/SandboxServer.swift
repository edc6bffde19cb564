import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
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
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
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

/// Collects one request (head and body), asks the core, writes the reply.
final class SandboxHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let core: SandboxCore
    private let tracker: ConnectionTracker
    private let maxBodyBytes: Int
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var tooLarge = false

    init(core: SandboxCore, tracker: ConnectionTracker, maxBodyBytes: Int) {
        self.core = core
        self.tracker = tracker
        self.maxBodyBytes = maxBodyBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = nil
            tooLarge = false
        case .body(var part):
            guard !tooLarge else { return }
            if (body?.readableBytes ?? 0) + part.readableBytes > maxBodyBytes {
                tooLarge = true
                body = nil
            } else if body == nil {
                body = part
            } else {
                body!.writeBuffer(&part)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            let keepAlive = head.isKeepAlive
            if tooLarge {
                return write(.response(.text(413, "the request body is larger than \(maxBodyBytes) bytes")), keepAlive: false, version: head.version, context: context)
            }
            let (path, query) = Self.split(head.uri)
            var headers: [String: String] = [:]
            for field in head.headers { headers[field.name.lowercased()] = field.value }
            let host = headers["host"] ?? "127.0.0.1"
            let bytes = body.map { Array($0.readableBytesView) } ?? []
            body = nil
            switch core.step(method: head.method.rawValue, path: path, rawQuery: query, headers: headers, body: bytes, host: host) {
            case .reply(let reply):
                write(reply, keepAlive: keepAlive, version: head.version, context: context)
            case .later(let remainder):
                tracker.began()
                let eventLoop = context.eventLoop
                let handler = NIOLoopBound(self, eventLoop: eventLoop)
                let bound = NIOLoopBound(context, eventLoop: eventLoop)
                let tracker = self.tracker
                Task {
                    let reply = await remainder()
                    eventLoop.execute {
                        handler.value.write(reply, keepAlive: keepAlive, version: head.version, context: bound.value)
                        tracker.ended()
                    }
                }
            }
        }
    }

    private func write(_ reply: SandboxReply, keepAlive: Bool, version: HTTPVersion, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        switch reply {
        case .closeConnection:
            context.close(promise: nil)
        case .response(let response):
            var headers = HTTPHeaders()
            headers.reserveCapacity(response.headers.count + 2)
            for header in response.headers { headers.add(name: header.name, value: header.value) }
            headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
            if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: response.status), headers: headers))), promise: nil)
            if !response.body.isEmpty {
                context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
            }
            if keepAlive {
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)  // no future to allocate per reply
            } else {
                context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            }
        }
    }

    static func split(_ uri: String) -> (path: String, query: String?) {
        guard let mark = uri.firstIndex(of: "?") else { return (uri, nil) }
        return (String(uri[..<mark]), String(uri[uri.index(after: mark)...]))
    }
}
