import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import SluiceSpec
import SluiceStore

/// The Segment-compatible HTTP API on Hummingbird: the seven Tracking API paths plus
/// `/v1/import`, and `/healthz` / `/readyz`.
public enum IngestServer {
    public static let singlePaths: [(String, EventType)] = EventType.allCases.map { ("/v1/\($0.rawValue)", $0) }
    public static let batchPaths = ["/v1/batch", "/v1/import"]

    /// `metrics` renders the Prometheus text for `/metrics` when delivery runs in this process.
    public static func router(handler: IngestHandler, store: any EventStore, metrics: (@Sendable () -> String)? = nil) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        for (path, type) in singlePaths {
            router.post(RouterPath(path)) { request, _ in await respond(request, endpoint: .single(type), handler: handler) }
        }
        for path in batchPaths {
            router.post(RouterPath(path)) { request, _ in await respond(request, endpoint: .batch, handler: handler) }
        }
        if let metrics {
            router.get("/metrics") { _, _ in
                Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                         body: ResponseBody(byteBuffer: ByteBuffer(string: metrics())))
            }
        }
        router.get("/healthz") { _, _ in jsonResponse(200, #"{"status":"ok"}"#) }
        router.get("/readyz") { _, _ in
            await store.isReady()
                ? jsonResponse(200, #"{"status":"ready"}"#)
                : jsonResponse(503, #"{"code":"store_unavailable","message":"the event store is not accepting writes"}"#)
        }
        return router
    }

    public static func application(
        handler: IngestHandler, store: any EventStore, host: String, port: Int, logger: Logger,
        metrics: (@Sendable () -> String)? = nil, services: [any Service] = [],
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: router(handler: handler, store: store, metrics: metrics),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "sluice"),
            services: services,
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    static func respond(_ request: Request, endpoint: IngestHandler.Endpoint, handler: IngestHandler) async -> Response {
        let limit = handler.maxRequestBytes
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limit)
        } catch {
            return reply(.error(413, "request_too_large", "the body is over \(limit / 1024) KB, the limit per request; send smaller batches"))
        }
        let ingestRequest = IngestHandler.Request(
            endpoint: endpoint,
            authorization: request.headers[.authorization],
            contentType: request.headers[.contentType],
            contentEncoding: request.headers[.contentEncoding],
            body: Array(body.readableBytesView))
        return reply(await handler.handle(ingestRequest))
    }

    static func reply(_ reply: IngestHandler.Reply) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter = reply.retryAfterSeconds { headers[.retryAfter] = String(retryAfter) }
        return Response(
            status: HTTPResponse.Status(code: reply.status),
            headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: reply.body)))
    }

    static func jsonResponse(_ status: Int, _ text: String) -> Response {
        reply(IngestHandler.Reply(status: status, body: Array(text.utf8)))
    }
}
