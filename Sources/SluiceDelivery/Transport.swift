import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SluiceDestinations

/// Performs one HTTP exchange. The engine uses AsyncHTTPClient; tests use fakes.
public protocol HTTPTransport: Sendable {
    func send(_ request: SluiceDestinations.HTTPRequest, timeout: Duration) async throws -> SluiceDestinations.HTTPResponse
    /// `send`, with the body already serialized (`request.body?.bytes`) by a caller that needs
    /// the bytes too, so they are not produced twice.
    func send(_ request: SluiceDestinations.HTTPRequest, serializedBody: [UInt8]?, timeout: Duration) async throws -> SluiceDestinations.HTTPResponse
}

extension HTTPTransport {
    public func send(_ request: SluiceDestinations.HTTPRequest, serializedBody: [UInt8]?, timeout: Duration) async throws -> SluiceDestinations.HTTPResponse {
        try await send(request, timeout: timeout)
    }
}

/// A transport failure before any HTTP status: refused, reset, timed out. Always retryable.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public final class AsyncHTTPTransport: HTTPTransport {
    private let client: HTTPClient
    private let maxResponseBytes: Int

    public init(maxConnectionsPerHost: Int = 32, maxResponseBytes: Int = 4 << 20) {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: maxConnectionsPerHost)
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(60))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.maxResponseBytes = maxResponseBytes
    }

    public func shutdown() async {
        try? await client.shutdown()
    }

    public func send(_ request: SluiceDestinations.HTTPRequest, timeout: Duration) async throws -> SluiceDestinations.HTTPResponse {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = NIOHTTP1.HTTPMethod(rawValue: request.method.rawValue)
        for header in request.headers { outgoing.headers.add(name: header.name, value: header.value) }
        if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: body.bytes)) }
        do {
            let response = try await client.execute(outgoing, timeout: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000))
            let body = try await response.body.collect(upTo: maxResponseBytes)
            return SluiceDestinations.HTTPResponse(
                status: Int(response.status.code),
                headers: HTTPHeaders(response.headers.map { (name: $0.name, value: $0.value) }),
                body: Array(body.readableBytesView))
        } catch {
            throw TransportError("\(request.method.rawValue) \(request.redacted().url): \(error)")
        }
    }
}
