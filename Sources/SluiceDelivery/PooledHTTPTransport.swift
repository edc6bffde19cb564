import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SluiceDestinations
import Synchronization

/// The engine's HTTP/1.1 transport: keep-alive connections pooled per origin (http or https),
/// one exchange at a time on each, with the request written and the response collected on the
/// connection's event loop, so an exchange costs two thread hops and no per-request tasks.
/// AsyncHTTPClient did the same work at several times the CPU per request.
public final class PooledHTTPTransport: HTTPTransport {
    public struct Configuration: Sendable {
        public var maxConnectionsPerOrigin = 32
        public var maxResponseBytes = 4 << 20
        public var connectTimeout: Duration = .seconds(10)
        /// Idle connections older than this are closed rather than reused (APIs drop them too).
        public var idleTimeout: Duration = .seconds(50)
        public init() {}
    }

    private let configuration: Configuration
    private let group: any EventLoopGroup
    private let pools = Mutex<[Origin: ConnectionPool]>([:])
    private let tlsContext: Mutex<NIOSSLContext?> = Mutex(nil)

    public init(configuration: Configuration = Configuration(), group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.group = group
    }

    public convenience init(maxConnectionsPerOrigin: Int) {
        var configuration = Configuration()
        configuration.maxConnectionsPerOrigin = max(1, maxConnectionsPerOrigin)
        self.init(configuration: configuration)
    }

    /// Open connections per origin (`http://host:port`), for tests and the console.
    public var openConnections: [String: Int] {
        pools.withLock { pools in Dictionary(uniqueKeysWithValues: pools.map { ($0.key.description, $0.value.openCount) }) }
    }

    public func shutdown() async {
        let all = pools.withLock { pools in
            defer { pools.removeAll() }
            return Array(pools.values)
        }
        for pool in all { await pool.shutdown() }
    }

    public func send(_ request: SluiceDestinations.HTTPRequest, timeout: Duration) async throws -> SluiceDestinations.HTTPResponse {
        let target: Target
        do {
            target = try Target(url: request.url)
        } catch {
            throw TransportError("\(Self.shown(request)): \(error)")
        }
        let bodyBytes = request.body?.bytes
        let head = Self.head(request, target, bodyLength: bodyBytes?.count)
        let body = bodyBytes.map { ByteBuffer(bytes: $0) }
        // A reused connection the server closed while it sat idle fails before any reply; that
        // one case is tried again at once on a new connection.
        var allowStaleRetry = true
        while true {
            let pool: ConnectionPool, connection: PooledConnection, reused: Bool
            do {
                pool = try self.pool(for: target.origin)
                (connection, reused) = try await pool.acquire()
            } catch {
                throw TransportError("\(Self.shown(request)): \(error)")
            }
            do {
                let (responseHead, responseBody) = try await connection.exchange(head, body: body, timeout: timeout, maxResponseBytes: configuration.maxResponseBytes)
                pool.release(connection, keepAlive: responseHead.isKeepAlive && head.isKeepAlive)
                return Self.response(responseHead, responseBody)
            } catch let failure as ExchangeFailure {
                pool.discard(connection)
                if case .closedBeforeReply = failure, reused, allowStaleRetry {
                    allowStaleRetry = false
                    continue
                }
                throw TransportError("\(Self.shown(request)): \(failure)")
            } catch {
                pool.discard(connection)
                throw TransportError("\(Self.shown(request)): \(error)")
            }
        }
    }

    /// The method and URL for an error message: secrets masked, any `user:password@` removed.
    static func shown(_ request: SluiceDestinations.HTTPRequest) -> String {
        var url = request.redacted().url
        if let schemeEnd = url.range(of: "://") {
            let authorityEnd = url[schemeEnd.upperBound...].firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? url.endIndex
            if let at = url[schemeEnd.upperBound..<authorityEnd].lastIndex(of: "@") {
                url.removeSubrange(schemeEnd.upperBound...at)
            }
        }
        return request.method.rawValue + " " + url
    }

    private func pool(for origin: Origin) throws -> ConnectionPool {
        let tls = origin.tls ? try tlsConfiguration() : nil
        return pools.withLock { pools in
            if let pool = pools[origin] { return pool }
            let pool = ConnectionPool(origin: origin, configuration: configuration, group: group, tls: tls)
            pools[origin] = pool
            return pool
        }
    }

    private func tlsConfiguration() throws -> NIOSSLContext {
        try tlsContext.withLock { context in
            if let context { return context }
            let created = try NIOSSLContext(configuration: .makeClientConfiguration())
            context = created
            return created
        }
    }

    static func head(_ request: SluiceDestinations.HTTPRequest, _ target: Target, bodyLength: Int?) -> HTTPRequestHead {
        var headers = NIOHTTP1.HTTPHeaders()
        headers.reserveCapacity(request.headers.entries.count + 2)
        var hasHost = false, hasLength = false
        for entry in request.headers {
            if HTTPHeaders.sameName(entry.name, "Host") { hasHost = true }
            if HTTPHeaders.sameName(entry.name, "Content-Length") { hasLength = true }
            headers.add(name: entry.name, value: entry.value)
        }
        if !hasHost { headers.add(name: "Host", value: target.hostHeader) }
        if !hasLength, bodyLength != nil || request.method != .GET {
            headers.add(name: "Content-Length", value: String(bodyLength ?? 0))
        }
        return HTTPRequestHead(version: .http1_1, method: NIOHTTP1.HTTPMethod(rawValue: request.method.rawValue), uri: target.pathAndQuery, headers: headers)
    }

    static func response(_ head: HTTPResponseHead, _ body: ByteBuffer?) -> SluiceDestinations.HTTPResponse {
        SluiceDestinations.HTTPResponse(
            status: Int(head.status.code),
            headers: SluiceDestinations.HTTPHeaders(head.headers.map { (name: $0.name, value: $0.value) }),
            body: body.map { Array($0.readableBytesView) } ?? [])
    }
}

// MARK: - Where a request goes

struct Origin: Hashable, Sendable, CustomStringConvertible {
    let tls: Bool
    let host: String
    let port: Int

    var description: String { (tls ? "https://" : "http://") + (host.contains(":") ? "[\(host)]" : host) + ":\(port)" }
}

/// A URL split the way HTTP/1.1 needs it: where to connect, the `Host` header, the request target.
struct Target: Equatable {
    let origin: Origin
    let hostHeader: String
    let pathAndQuery: String

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    init(url: String) throws {
        let tls: Bool
        let rest: Substring
        // Only the scheme is case-folded: lowercasing the whole URL allocated per request.
        let scheme = url.prefix(8).lowercased()
        if scheme.hasPrefix("http://") {
            tls = false
            rest = url.dropFirst(7)
        } else if scheme == "https://" {
            tls = true
            rest = url.dropFirst(8)
        } else {
            throw Invalid(description: "only http:// and https:// URLs can be delivered to")
        }
        let authorityEnd = rest.utf8.firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let afterAuthority = rest[authorityEnd...]
        var target = String(afterAuthority[..<(afterAuthority.utf8.firstIndex(of: UInt8(ascii: "#")) ?? afterAuthority.endIndex)])
        if target.isEmpty || target.hasPrefix("?") { target = "/" + target }
        guard !authority.isEmpty else { throw Invalid(description: "the URL has no host") }
        guard !authority.utf8.contains(UInt8(ascii: "@")) else { throw Invalid(description: "credentials in the URL are not sent; use the destination's settings") }
        let host: String
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw Invalid(description: "the URL's IPv6 host has no closing ]") }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let afterClose = authority[authority.index(after: close)...]
            if afterClose.hasPrefix(":") { portText = afterClose.dropFirst() } else if !afterClose.isEmpty {
                throw Invalid(description: "unexpected text after the URL's IPv6 host")
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            portText = authority[authority.index(after: colon)...]
        } else {
            host = String(authority)
        }
        guard !host.isEmpty else { throw Invalid(description: "the URL has no host") }
        let defaultPort = tls ? 443 : 80
        var port = defaultPort
        if let portText {
            guard let parsed = Int(portText), (1...65_535).contains(parsed) else { throw Invalid(description: "the URL's port \"\(portText)\" is not a number from 1 to 65535") }
            port = parsed
        }
        origin = Origin(tls: tls, host: host, port: port)
        let shownHost = host.utf8.contains(UInt8(ascii: ":")) ? "[\(host)]" : host
        hostHeader = port == defaultPort ? shownHost : "\(shownHost):\(port)"
        pathAndQuery = target
    }
}

// MARK: - Connections

enum ExchangeFailure: Error, CustomStringConvertible {
    /// The connection closed before any byte of a reply arrived.
    case closedBeforeReply
    /// It closed part-way through the reply.
    case closedDuringReply
    case timedOut(Duration)
    case responseTooLarge(Int)

    var description: String {
        switch self {
        case .closedBeforeReply: return "the connection closed before the server answered"
        case .closedDuringReply: return "the connection closed in the middle of the server's answer"
        case .timedOut(let limit): return "no complete answer within \(Int(limit.milliseconds)) ms"
        case .responseTooLarge(let limit): return "the answer is larger than \(limit) bytes"
        }
    }
}

/// One connection and its exchange handler; used by one request at a time.
final class PooledConnection: Sendable {
    let channel: any Channel
    private let handler: NIOLoopBoundBox<ExchangeHandler?>
    let idleSince = Mutex(ContinuousClock.now)

    init(channel: any Channel, handler: NIOLoopBoundBox<ExchangeHandler?>) {
        self.channel = channel
        self.handler = handler
    }

    func exchange(_ head: HTTPRequestHead, body: ByteBuffer?, timeout: Duration, maxResponseBytes: Int) async throws -> (HTTPResponseHead, ByteBuffer?) {
        let promise = channel.eventLoop.makePromise(of: ExchangeResult.self)
        let handler = self.handler
        @Sendable func start() {
            guard let exchangeHandler = handler.value else { return promise.fail(ExchangeFailure.closedBeforeReply) }
            exchangeHandler.start(head, body: body, promise: promise, timeout: timeout, maxResponseBytes: maxResponseBytes)
        }
        // With NIO's loops as the concurrency executor the caller is often on this very loop.
        if channel.eventLoop.inEventLoop { start() } else { channel.eventLoop.execute(start) }
        let result = try await promise.futureResult.get()
        return (result.head, result.body)
    }

    func close() {
        channel.close(promise: nil)
    }
}

struct ExchangeResult: Sendable {
    let head: HTTPResponseHead
    let body: ByteBuffer?
}

/// Writes one request and collects its response; lives on the connection's event loop.
final class ExchangeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private struct Pending {
        let promise: EventLoopPromise<ExchangeResult>
        let maxResponseBytes: Int
        var timer: Scheduled<Void>?
        var head: HTTPResponseHead?
        var body: ByteBuffer?
    }

    private var context: ChannelHandlerContext?
    private var pending: Pending?
    /// Why the connection failed while no exchange was running (a TLS handshake, a reset).
    private var failure: (any Error)?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func start(_ head: HTTPRequestHead, body: ByteBuffer?, promise: EventLoopPromise<ExchangeResult>, timeout: Duration, maxResponseBytes: Int) {
        guard let context, context.channel.isActive, pending == nil else { return promise.fail(failure ?? ExchangeFailure.closedBeforeReply) }
        let timer = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(timeout.totalNanoseconds)) { [weak self] () -> Void in
            self?.fail(ExchangeFailure.timedOut(timeout))
        }
        pending = Pending(promise: promise, maxResponseBytes: maxResponseBytes, timer: timer)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body, body.readableBytes > 0 { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.assumeIsolated().whenFailure { [weak self] error in self?.fail(error) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard pending != nil else { return }  // a reply nobody asked for: ignored, the pool closes such connections
        switch unwrapInboundIn(data) {
        case .head(let head):
            pending!.head = head
        case .body(var part):
            let size = (pending!.body?.readableBytes ?? 0) + part.readableBytes
            if size > pending!.maxResponseBytes { return fail(ExchangeFailure.responseTooLarge(pending!.maxResponseBytes)) }
            if pending!.body == nil { pending!.body = part } else { pending!.body!.writeBuffer(&part) }
        case .end:
            guard let done = pending, let head = done.head else { return fail(ExchangeFailure.closedDuringReply) }
            pending = nil
            done.timer?.cancel()
            done.promise.succeed(ExchangeResult(head: head, body: done.body))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let pending { fail(pending.head == nil ? ExchangeFailure.closedBeforeReply : ExchangeFailure.closedDuringReply) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
    }

    /// Fails the exchange in progress and closes the connection: it is in an unknown state.
    private func fail(_ error: any Error) {
        if failure == nil { failure = error }
        if let done = pending {
            pending = nil
            done.timer?.cancel()
            done.promise.fail(error)
        }
        context?.close(promise: nil)
    }
}

/// The connections to one origin: at most `maxConnectionsPerOrigin`, idle ones reused newest
/// first, and requests beyond the bound waiting in arrival order.
final class ConnectionPool: Sendable {
    private enum Lease {
        case reuse(PooledConnection)
        case connect
    }

    private struct State {
        var idle: [PooledConnection] = []
        var open = 0
        var waiters: [CheckedContinuation<Lease, any Error>] = []
        var waitersHead = 0
        var isShutDown = false

        mutating func nextWaiter() -> CheckedContinuation<Lease, any Error>? {
            guard waitersHead < waiters.count else { return nil }
            let waiter = waiters[waitersHead]
            waitersHead += 1
            if waitersHead == waiters.count { waiters.removeAll(keepingCapacity: true); waitersHead = 0 }
            return waiter
        }
    }

    struct ShutDown: Error, CustomStringConvertible {
        var description: String { "the HTTP client is shut down" }
    }

    let origin: Origin
    private let configuration: PooledHTTPTransport.Configuration
    private let group: any EventLoopGroup
    private let tls: NIOSSLContext?
    private let state = Mutex(State())

    init(origin: Origin, configuration: PooledHTTPTransport.Configuration, group: any EventLoopGroup, tls: NIOSSLContext?) {
        self.origin = origin
        self.configuration = configuration
        self.group = group
        self.tls = tls
    }

    var openCount: Int { state.withLock { $0.open } }

    func acquire() async throws -> (PooledConnection, reused: Bool) {
        let now = ContinuousClock.now
        var expired: [PooledConnection] = []
        let immediate: Lease? = try state.withLock { state in
            if state.isShutDown { throw ShutDown() }
            while let connection = state.idle.popLast() {
                if connection.channel.isActive, now - connection.idleSince.withLock({ $0 }) < configuration.idleTimeout { return .reuse(connection) }
                expired.append(connection)
            }
            if state.open < configuration.maxConnectionsPerOrigin {
                state.open += 1
                return .connect
            }
            return nil
        }
        for connection in expired { connection.close() }
        let lease: Lease
        if let immediate {
            lease = immediate
        } else {
            lease = try await withCheckedThrowingContinuation { continuation in
                let shutDown = state.withLock { state -> Bool in
                    if state.isShutDown { return true }
                    state.waiters.append(continuation)
                    return false
                }
                if shutDown { continuation.resume(throwing: ShutDown()) }
            }
        }
        switch lease {
        case .reuse(let connection):
            return (connection, true)
        case .connect:
            do {
                return (try await connect(), false)
            } catch {
                connectionGone()
                throw error
            }
        }
    }

    /// Back to the pool after a complete exchange, or closed when either side asked for that.
    func release(_ connection: PooledConnection, keepAlive: Bool) {
        guard keepAlive, connection.channel.isActive else { return discard(connection) }
        connection.idleSince.withLock { $0 = ContinuousClock.now }
        let (waiter, close) = state.withLock { state -> (CheckedContinuation<Lease, any Error>?, Bool) in
            if state.isShutDown { return (nil, true) }
            if let waiter = state.nextWaiter() { return (waiter, false) }
            state.idle.append(connection)
            return (nil, false)
        }
        if close { connection.close() }
        waiter?.resume(returning: .reuse(connection))
    }

    /// Closes a connection that failed or may not be reused; its close frees its slot.
    func discard(_ connection: PooledConnection) {
        connection.close()
    }

    private func connectionGone() {
        let waiter = state.withLock { state -> CheckedContinuation<Lease, any Error>? in
            state.open -= 1
            if !state.isShutDown, let waiter = state.nextWaiter() {
                state.open += 1
                return waiter
            }
            return nil
        }
        waiter?.resume(returning: .connect)
    }

    private func connect() async throws -> PooledConnection {
        let eventLoop = group.next()
        let box = NIOLoopBoundBox<ExchangeHandler?>.makeEmptyBox(valueType: ExchangeHandler.self, eventLoop: eventLoop)
        let origin = self.origin
        let tls = self.tls
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(.nanoseconds(configuration.connectTimeout.totalNanoseconds))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        let serverName = Self.isIPAddress(origin.host) ? nil : origin.host
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: serverName))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    let handler = ExchangeHandler()
                    try channel.pipeline.syncOperations.addHandler(handler)
                    box.value = handler
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: origin.host, port: origin.port).get()
        } catch {
            throw ConnectFailure(origin: origin, underlying: error)
        }
        let connection = PooledConnection(channel: channel, handler: box)
        channel.closeFuture.whenComplete { [weak self] _ in self?.closed(connection) }
        return connection
    }

    private func closed(_ connection: PooledConnection) {
        state.withLock { state in state.idle.removeAll { $0 === connection } }
        connectionGone()
    }

    func shutdown() async {
        let (idle, waiters) = state.withLock { state in
            state.isShutDown = true
            let idle = state.idle
            state.idle.removeAll()
            var waiters: [CheckedContinuation<Lease, any Error>] = []
            while let waiter = state.nextWaiter() { waiters.append(waiter) }
            return (idle, waiters)
        }
        for waiter in waiters { waiter.resume(throwing: ShutDown()) }
        for connection in idle {
            let closing: EventLoopFuture<Void> = connection.channel.close()
            try? await closing.get()
        }
    }

    static func isIPAddress(_ host: String) -> Bool {
        host.contains(":") || (!host.isEmpty && host.allSatisfy { $0 == "." || $0.isASCII && $0.isNumber })
    }
}

struct ConnectFailure: Error, CustomStringConvertible {
    let origin: Origin
    let underlying: any Error

    var description: String { "cannot connect to \(origin): \(underlying)" }
}

extension Duration {
    var totalNanoseconds: Int64 {
        let parts = components
        return parts.seconds * 1_000_000_000 + parts.attoseconds / 1_000_000_000
    }
}
