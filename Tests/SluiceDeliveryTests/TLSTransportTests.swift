import Foundation
import NIOCore
import NIOPosix
import NIOSSL
@testable import SluiceDelivery
import SluiceDestinations
import SluiceHTTP
import Testing

/// The transport over TLS, the way every real API is reached: a loopback TLS server with a
/// throwaway self-signed certificate (made with `openssl`), answering in chunks across records.
@Suite(.serialized) struct TLSTransportTests {
    /// A certificate for `localhost` and 127.0.0.1, and its key, as PEM.
    static func selfSigned() throws -> (certificate: [UInt8], key: [UInt8]) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                             "-keyout", directory.appendingPathComponent("key.pem").path,
                             "-out", directory.appendingPathComponent("cert.pem").path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TLSTestError("openssl req failed with status \(process.terminationStatus)") }
        return (Array(try Data(contentsOf: directory.appendingPathComponent("cert.pem"))),
                Array(try Data(contentsOf: directory.appendingPathComponent("key.pem"))))
    }

    struct TLSTestError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// Answers every request with a chunked JSON body written in three pieces, echoing the path.
    final class ChunkedEcho: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        private var parser = HTTP1Parser(kind: .request)

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            parser.feed(&bytes)
            while let message = try? parser.next() {
                guard case .request(_, let target) = message.startLine else { continue }
                let body = #"{"path":"\#(target)","bytes":\#(message.body.readableBytes)}"#
                let cut = body.index(body.startIndex, offsetBy: 5)
                for piece in ["HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
                              String(body[..<cut].utf8.count, radix: 16) + "\r\n" + body[..<cut] + "\r\n",
                              String(body[cut...].utf8.count, radix: 16) + "\r\n" + body[cut...] + "\r\n",
                              "0\r\n\r\n"] {
                    context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: piece)), promise: nil)
                }
            }
        }
    }

    static func server(certificate: [UInt8], key: [UInt8]) async throws -> any Channel {
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: key, format: .pem)))
        let context = try NIOSSLContext(configuration: configuration)
        return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.addHandler(ChunkedEcho())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    @Test func httpsExchangesWorkAndKeepTheirConnection() async throws {
        let (certificate, key) = try Self.selfSigned()
        let server = try await Self.server(certificate: certificate, key: key)
        let port = try #require(server.localAddress?.port)
        var configuration = PooledHTTPTransport.Configuration()
        configuration.tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(certificate))
        let transport = PooledHTTPTransport(configuration: configuration)
        for n in 0..<3 {
            let response = try await transport.send(HTTPRequest(.POST, "https://localhost:\(port)/events/\(n)", body: .json(["n": .int(Int64(n))])),
                                                    timeout: .seconds(10))
            #expect(response.status == 200)
            #expect(response.json?["path"]?.stringValue == "/events/\(n)")
            #expect(response.json?["bytes"] == .int(7), "the body arrived whole: {\"n\":0}")
        }
        #expect(transport.openConnections.values.reduce(0, +) == 1, "one TLS connection carried all three")
        await transport.shutdown()
        try await server.close()
    }

    @Test func anUntrustedCertificateIsATransportErrorNotAnAnswer() async throws {
        let (certificate, key) = try Self.selfSigned()
        let server = try await Self.server(certificate: certificate, key: key)
        let port = try #require(server.localAddress?.port)
        let transport = PooledHTTPTransport()  // system roots: the self-signed certificate is not among them
        await #expect {
            _ = try await transport.send(HTTPRequest(.GET, "https://localhost:\(port)/x"), timeout: .seconds(10))
        } throws: { error in
            error is TransportError && String(describing: error).contains("https://localhost:\(port)")
        }
        await transport.shutdown()
        try await server.close()
    }
}
