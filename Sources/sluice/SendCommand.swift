import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import SluiceSpec

struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send one call to a Sluice (or Segment-compatible) ingest API and print the reply.",
        discussion: """
            Build the call from flags, or pass a whole call as JSON on stdin with --stdin:
              sluice send --type track --user-id u1 --event "Signed Up" --properties '{"plan":"pro"}'
              echo '{"type":"identify","userId":"u1","traits":{"email":"a@b.co"}}' | sluice send --stdin
            """)

    @Option(name: .long, help: "Base URL of the ingest API.")
    var url: String = "http://127.0.0.1:8088"

    @Option(name: .long, help: "Write key (default: the \"default\" source's key that sluice serve created).")
    var writeKey: String?

    @Flag(name: .long, help: "Read the call as JSON from standard input.")
    var stdin = false

    @Option(name: .long, help: "identify, track, page, screen, group or alias.")
    var type: EventType?

    @Option(name: .long) var userId: String?
    @Option(name: .long) var anonymousId: String?
    @Option(name: .long, help: "Event name (track).") var event: String?
    @Option(name: .long, help: "Page or screen name.") var name: String?
    @Option(name: .long) var groupId: String?
    @Option(name: .long) var previousId: String?
    @Option(name: .long, help: "Traits as a JSON object.") var traits: String?
    @Option(name: .long, help: "Properties as a JSON object.") var properties: String?
    @Option(name: .long, help: "Context as a JSON object.") var context: String?

    mutating func run() async throws {
        let call = try buildCall()
        guard case .object(let object) = call, let typeName = object["type"]?.stringValue, let type = EventType(rawValue: typeName) else {
            throw CLIError("the call needs a \"type\": identify, track, page, screen, group or alias")
        }
        guard let key = try writeKey ?? Paths.defaultWriteKey(create: false) else {
            throw CLIError("no write key: pass --write-key, or start sluice serve once so it creates the default source's key")
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let outcome: Result<(Int, String), any Error>
        do {
            outcome = .success(try await post(call, type: type, key: key, client: client))
        } catch {
            outcome = .failure(error)
        }
        try? await client.shutdown()
        let (status, body) = try outcome.get()
        print("\(status) \(body)")
        if status != 200 { throw ExitCode(1) }
    }

    private func post(_ call: JSON, type: EventType, key: String, client: HTTPClient) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: url.trimmingSuffix("/") + "/v1/" + type.rawValue)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Authorization", value: "Basic " + Data((key + ":").utf8).base64EncodedString())
        request.body = .bytes(ByteBuffer(bytes: JSONWriter.bytes(call)))
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .seconds(30))
        } catch {
            throw CLIError("cannot reach \(url): \(error); is sluice serve running there?")
        }
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    private func buildCall() throws -> JSON {
        if stdin {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            do {
                return try JSONParser.parse(Array(data))
            } catch {
                throw CLIError("stdin is not valid JSON: \(error.description)")
            }
        }
        guard let type else { throw CLIError("pass --type (identify, track, page, screen, group, alias) or --stdin") }
        var object: JSONObject = ["type": .string(type.rawValue)]
        if let userId { object["userId"] = .string(userId) }
        if let anonymousId { object["anonymousId"] = .string(anonymousId) }
        if userId == nil && anonymousId == nil { throw CLIError("pass --user-id or --anonymous-id: every call needs one") }
        if let event { object["event"] = .string(event) }
        if let name { object["name"] = .string(name) }
        if let groupId { object["groupId"] = .string(groupId) }
        if let previousId { object["previousId"] = .string(previousId) }
        for (flag, field, text) in [("--traits", "traits", traits), ("--properties", "properties", properties), ("--context", "context", context)] {
            guard let text else { continue }
            guard let value = try? JSONParser.parse(text), value.objectValue != nil else {
                throw CLIError("\(flag) must be a JSON object, e.g. \(flag) '{\"plan\":\"pro\"}'")
            }
            object[field] = value
        }
        object["timestamp"] = .string(Timestamp.iso8601(Date()))
        return .object(object)
    }
}

extension EventType: ExpressibleByArgument {}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
