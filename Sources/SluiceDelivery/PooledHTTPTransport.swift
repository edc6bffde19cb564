import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import SluiceDestinations
import SluiceHTTP
import Synchronization

/// The engine's HTTP/1.1 transport: keep-alive connections pooled per origin (http or https),
/// one exchange at a time on each, with the request written and the response collected on the
/// connection's event loop, so an exchange costs two thread hops and no per-request tasks.
/// Each request is encoded into one buffer and each response parsed by `SluiceHTTP`, with no
/// NIO HTTP handlers in the pipeline: they cost more per exchange than the rest of the client.
/// AsyncHTTPClient did the same work at several times the CPU per request.
public final class PooledHTTPTransport: HTTPTransport {
    public struct Configuration: Sendable {
        public var maxConnectionsPerOrigin = 32
        public var maxResponseBytes = 4 << 20
        public var connectTimeout: Duration = .seconds(10)
        /// Idle connections older than this are closed rather than reused (APIs drop them too).
        public var idleTimeout: Duration = .seconds(50)
        /// TLS for https origins: the system's trust roots and certificate verification unless
        /// replaced (a private CA in front of an API, or a test server).
        public var tls: TLSConfiguration = .makeClientConfiguration()
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
        try await send(request, serializedBody: request.body?.bytes, timeout: timeout)
    }

    public func send(_ request: SluiceDestinations.HTTPRequest, serializedBody body: [UInt8]?, timeout: Duration) async throws -> SluiceDestinations.HTTPResponse {
        let target: Target
        do {
            target = try Target(url: request.url)
        } catch {
            throw TransportError("\(Self.shown(request)): \(error)")
        }
        let encoded: ByteBuffer, keepAlive: Bool
        do {
            (encoded, keepAlive) = try Self.encode(request, body: body, target)
        } catch {
            throw TransportError("\(Self.shown(request)): \(error)")
        }
        let isHEAD = request.method.rawValue == "HEAD"
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
                let result = try await connection.exchange(encoded, isHEAD: isHEAD, timeout: timeout)
                pool.release(connection, keepAlive: result.reusable && keepAlive)
                return Self.response(result.message)
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
            let created = try NIOSSLContext(configuration: configuration.tls)
            context = created
            return created
        }
    }

    /// The whole request in one buffer, with `Host` and `Content-Length` added when missing;
    /// and whether the request lets the connection be reused.
    static func encode(_ request: SluiceDestinations.HTTPRequest, body: [UInt8]?, _ target: Target) throws(HTTP1WriteError) -> (ByteBuffer, keepAlive: Bool) {
        var hasHost = false, hasLength = false, keepAlive = true
        for entry in request.headers {
            if HTTP1Syntax.sameName(entry.name, "host") { hasHost = true }
            if HTTP1Syntax.sameName(entry.name, "content-length") { hasLength = true }
            if HTTP1Syntax.sameName(entry.name, "connection"), HTTP1Syntax.listContains(entry.value, "close") { keepAlive = false }
        }
        var extra: [(name: String, value: String)] = []
        if !hasHost { extra.append(("Host", target.hostHeader)) }
        if !hasLength, body != nil || request.method != .GET {
            extra.append(("Content-Length", String(body?.count ?? 0)))
        }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(256 + (body?.count ?? 0))
        try HTTP1Writer.request(method: request.method.rawValue, target: target.pathAndQuery,
                                headers: request.headers.entries + extra, body: body, into: &buffer)
        return (buffer, keepAlive)
    }

    static func response(_ message: HTTP1Message) -> SluiceDestinations.HTTPResponse {
        SluiceDestinations.HTTPResponse(
            status: message.status,
            headers: SluiceDestinations.HTTPHeaders(message.headers),
            body: Array(message.body.readableBytesView))
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
    case malformedResponse(HTTP1ParseError)

    var description: String {
        switch self {
        case .closedBeforeReply: return "the connection closed before the server answered"
        case .closedDuringReply: return "the connection closed in the middle of the server's answer"
        case .timedOut(let limit): return "no complete answer within \(Int(limit.milliseconds)) ms"
        case .responseTooLarge(let limit): return "the answer is larger than \(limit) bytes"
        case .malformedResponse(let error): return "the server's answer is not valid HTTP/1.1: \(error)"
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

    func exchange(_ request: ByteBuffer, isHEAD: Bool, timeout: Duration) async throws -> ExchangeResult {
        let loop = channel.eventLoop
        let handler = self.handler
        return try await withCheckedThrowingContinuation { continuation in
            // The request starts and its reply is awaited in one visit to the connection's loop;
            // the handler resumes the caller itself, without a promise and future in between.
            @Sendable func start() {
                guard let exchangeHandler = handler.value else { return continuation.resume(throwing: ExchangeFailure.closedBeforeReply) }
                exchangeHandler.start(request, isHEAD: isHEAD, timeout: timeout) { continuation.resume(with: $0) }
            }
            // With NIO's loops as the concurrency executor the caller is often on this very loop.
            if loop.inEventLoop { start() } else { loop.execute(start) }
        }
    }

    func close() {
        channel.close(promise: nil)
    }
}

struct ExchangeResult: Sendable {
    let message: HTTP1Message
    /// The server allows another request on the connection, and sent nothing after the reply.
    let reusable: Bool
}

/// Writes one request (a single pre-encoded buffer) and parses its response; lives on the
/// connection's event loop, right after TLS when there is TLS.
///
/// Timeouts use one timer per connection, armed for the running exchange's deadline and moved on
/// only when it fires: scheduling and cancelling a timer for every exchange cost the loop a
/// heap insertion and a search-and-remove each time, thousands of times a second.
final class ExchangeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    typealias Completion = (Result<ExchangeResult, any Error>) -> Void

    private struct Pending {
        let complete: Completion
        let deadline: NIODeadline
        let timeout: Duration
    }

    private var context: ChannelHandlerContext?
    private var pending: Pending?
    private var timer: Scheduled<Void>?
    /// When the armed timer fires.
    private var timerDeadline: NIODeadline?
    private var parser: HTTP1Parser
    /// Why the connection failed while no exchange was running (a TLS handshake, a reset).
    private var failure: (any Error)?

    init(maxResponseBytes: Int) {
        parser = HTTP1Parser(kind: .response, limits: HTTP1Parser.Limits(maxBodyBytes: maxResponseBytes))
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
        self.context = nil
    }

    func start(_ request: ByteBuffer, isHEAD: Bool, timeout: Duration, complete: @escaping Completion) {
        guard let context, context.channel.isActive, pending == nil, !parser.isInsideMessage else {
            return complete(.failure(failure ?? ExchangeFailure.closedBeforeReply))
        }
        let deadline = NIODeadline.now() + .nanoseconds(timeout.totalNanoseconds)
        pending = Pending(complete: complete, deadline: deadline, timeout: timeout)
        // An armed timer due no later than this deadline will look again when it fires.
        if let armed = timerDeadline, armed <= deadline {} else { arm(deadline) }
        parser.expectResponse(toHEAD: isHEAD)
        // A failed write closes the channel, which fails the exchange in channelInactive.
        context.writeAndFlush(wrapOutboundOut(request), promise: nil)
    }

    private func arm(_ deadline: NIODeadline) {
        timer?.cancel()
        guard let loop = context?.eventLoop else { return }
        timerDeadline = deadline
        timer = loop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] () -> Void in
            self?.timerFired()
        }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
        timerDeadline = nil
    }

    private func timerFired() {
        timer = nil
        timerDeadline = nil
        guard let running = pending else { return }
        if running.deadline <= .now() {
            fail(ExchangeFailure.timedOut(running.timeout))
        } else {
            arm(running.deadline)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A reply nobody asked for leaves the connection in an unknown state.
        guard pending != nil else { return fail(ExchangeFailure.closedBeforeReply) }
        var bytes = unwrapInboundIn(data)
        parser.feed(&bytes)
        do {
            if let message = try parser.next() {
                succeed(message, reusable: message.keepAlive && parser.bufferedBytes == 0)
            }
        } catch .bodyTooLarge(let limit) {
            fail(ExchangeFailure.responseTooLarge(limit))
        } catch {
            fail(ExchangeFailure.malformedResponse(error))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if pending != nil {
            if let message = parser.finishAtClose() {
                succeed(message, reusable: false)
            } else {
                fail(parser.isInsideMessage ? ExchangeFailure.closedDuringReply : ExchangeFailure.closedBeforeReply)
            }
        }
        disarm()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
    }

    private func succeed(_ message: HTTP1Message, reusable: Bool) {
        guard let done = pending else { return }
        pending = nil
        done.complete(.success(ExchangeResult(message: message, reusable: reusable)))
    }

    /// Fails the exchange in progress and closes the connection: it is in an unknown state.
    private func fail(_ error: any Error) {
        if failure == nil { failure = error }
        if let done = pending {
            pending = nil
            done.complete(.failure(error))
        }
        disarm()
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
        let maxResponseBytes = configuration.maxResponseBytes
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(.nanoseconds(configuration.connectTimeout.totalNanoseconds))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        let serverName = Self.isIPAddress(origin.host) ? nil : origin.host
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: serverName))
                    }
                    let handler = ExchangeHandler(maxResponseBytes: maxResponseBytes)
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
