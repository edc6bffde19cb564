import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
@testable import SluiceSandbox
import SluiceSpec
import Testing

/// A live sandbox on a free port with a manual clock, and a client that authenticates the way
/// each API wants unless told not to.
struct SandboxHarness {
    /// A whole minute of Unix time, so every window (1, 5, 10, 60 s) starts exactly here.
    static let alignedStart = Date(timeIntervalSince1970: 1_700_000_040)

    let sandbox: Sandbox
    let clock: ManualClock

    var credentials: SandboxCredentials { sandbox.credentials }

    struct Reply {
        let status: Int
        let headers: HTTPHeaders
        let body: [UInt8]

        var json: JSON? { body.isEmpty ? nil : try? JSONParser.parse(body) }
        var text: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? { headers.first(name: name) }
        func intHeader(_ name: String) -> Int? { header(name).flatMap { Int($0) } }
    }

    enum Auth {
        /// The destination's own valid credentials.
        case valid
        case none
        /// A raw `Authorization` header value.
        case header(String)
    }

    func request(_ method: HTTPMethod, _ destination: SandboxDestination, _ path: String, json: JSON? = nil,
                 form: String? = nil, auth: Auth = .valid, timeout: TimeAmount = .seconds(5)) async throws -> Reply {
        var url = sandbox.baseURL(for: destination) + path
        var request = HTTPClientRequest(url: url)
        request.method = method
        switch auth {
        case .valid:
            switch destination {
            case .helpscout: request.headers.add(name: "Authorization", value: "Bearer " + credentials.helpScoutAPIKey)
            case .intercom: request.headers.add(name: "Authorization", value: "Bearer " + credentials.intercomAccessToken)
            case .zendesk: request.headers.add(name: "Authorization", value: Self.basic(credentials.zendeskEmail, credentials.zendeskPassword))
            case .clientsuccess:
                url += (url.contains("?") ? "&" : "?") + "api_key=" + PercentEncoding.encode(credentials.clientSuccessAPIKey)
                request.url = url
            }
        case .none:
            break
        case .header(let value):
            request.headers.add(name: "Authorization", value: value)
        }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: JSONWriter.bytes(json)))
        } else if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form))
        }
        return try await Self.send(request, timeout: timeout)
    }

    /// A request to the control API, `/_sandbox` + `path`.
    func control(_ method: HTTPMethod, _ path: String, json: JSON? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: sandbox.controlURL + path)
        request.method = method
        if let json { request.body = .bytes(ByteBuffer(bytes: JSONWriter.bytes(json))) }
        return try await Self.send(request, timeout: .seconds(5))
    }

    static func send(_ request: HTTPClientRequest, timeout: TimeAmount) async throws -> Reply {
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let body = try await response.body.collect(upTo: 16 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Array(body.readableBytesView))
    }

    static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data((user + ":" + password).utf8).base64EncodedString()
    }
}

/// Start-up notices of a hundred servers would bury the test results.
let quietLogger: Logger = {
    var logger = Logger(label: "sluice.sandbox.test")
    logger.logLevel = .warning
    return logger
}()

/// Runs `body` against a fresh sandbox and always shuts it down.
func withSandbox(limitScale: Double = 1, options: SimulatorOptions = SimulatorOptions(),
                 logger: Logger? = nil, _ body: (SandboxHarness) async throws -> Void) async throws {
    let clock = ManualClock(SandboxHarness.alignedStart)
    var configuration = SandboxConfiguration(limitScale: limitScale, options: options, clock: clock, logger: quietLogger)
    if let logger { configuration.logger = logger }
    let sandbox = try await Sandbox.start(configuration: configuration)
    do {
        try await body(SandboxHarness(sandbox: sandbox, clock: clock))
    } catch {
        await sandbox.shutdown()
        throw error
    }
    await sandbox.shutdown()
}

/// Keeps every log message, to prove secrets never reach the logs.
final class CapturingLogHandler: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var captured: [String] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let text = "\(event.message) \(event.metadata.map { "\($0)" } ?? "") \(self.metadata)"
        lock.lock()
        captured.append(text)
        lock.unlock()
    }

    var messages: [String] {
        lock.lock()
        defer { lock.unlock() }
        return captured
    }
}
