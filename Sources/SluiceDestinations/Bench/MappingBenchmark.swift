import Foundation
import SluiceSpec

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `sluice bench mapping`: how many calls per second one core maps to HTTP requests, per
/// destination and call type, against a context that answers instantly (no network, no store).
///
/// Absolute times on a shared machine are noise, so every case is reported with its ratio to a
/// baseline measured in the same run, interleaved with it: serializing the same call's JSON with
/// `JSONWriter`, the least work any delivery of that call does. Times are this process's CPU
/// time, so a busy neighbour slows the wall clock but not the figures much.
public enum MappingBenchmark {
    /// One measurable mapping: a destination, a call and the settings and answers it runs with.
    public struct Case: Sendable {
        public let name: String
        public let summary: String
        let event: Event
        let map: @Sendable (Event, MappingContext) async throws -> MappingOutcome
        let responder: @Sendable (HTTPRequest) -> HTTPResponse
    }

    /// The command-line entry point: `--seconds S` (default 1 per case) measures every case;
    /// `--case NAME --iterations N` maps one case N times and prints nothing else, for the
    /// allocation counts of `scripts/bench-mapping-allocs.sh`; `--list` names the cases.
    public static func main(arguments: [String]) async -> String {
        func value(after flag: String) -> String? {
            guard let index = arguments.firstIndex(of: flag), index + 1 < arguments.count else { return nil }
            return arguments[index + 1]
        }
        if arguments.contains("--list") {
            return (["baseline.serialize"] + cases.map(\.name)).joined(separator: "\n")
        }
        if let name = value(after: "--case") {
            let iterations = value(after: "--iterations").flatMap(Int.init) ?? 10_000
            guard await runFixed(caseName: name, iterations: iterations) else {
                return "unknown case \(name); cases: baseline.serialize, \(cases.map(\.name).joined(separator: ", "))"
            }
            return "ran \(name) \(iterations) times"
        }
        let seconds = value(after: "--seconds").flatMap(Double.init) ?? 1
        return await run(seconds: seconds)
    }

    /// Measures every case for about `seconds` of CPU time each and returns a printable table.
    public static func run(seconds: Double) async -> String {
        var lines = [
            "Mapping throughput, one core, instant answers (\(String(format: "%.1f", seconds)) s per case)",
            "case                      events/s   ns/event   baseline ns   × baseline   requests   outcome",
        ]
        for benchCase in cases {
            let result = await measure(benchCase, seconds: seconds)
            lines.append(
                benchCase.name.padding(toLength: 24, withPad: " ", startingAt: 0)
                    + String(format: "%11.0f %10.0f %13.0f %12.1f %10d   ", 1e9 / result.nanoseconds, result.nanoseconds,
                             result.baselineNanoseconds, result.nanoseconds / result.baselineNanoseconds, result.requests)
                    + result.outcome)
        }
        lines.append("baseline: JSONWriter.bytes of the same call's payload, measured interleaved with each case")
        for benchCase in cases { lines.append("  \(benchCase.name): \(benchCase.summary)") }
        return lines.joined(separator: "\n")
    }

    /// Maps one case `iterations` times (or, for `baseline.serialize`, serializes the Intercom
    /// identify call); false for an unknown name.
    public static func runFixed(caseName: String, iterations: Int) async -> Bool {
        if caseName == "baseline.serialize" {
            let payload = JSON.object(intercomIdentifyEvent.payload)
            for _ in 0..<iterations { consume(JSONWriter.bytes(payload)) }
            return true
        }
        guard let benchCase = cases.first(where: { $0.name == caseName }) else { return false }
        let context = InstantContext(responder: benchCase.responder)
        for _ in 0..<iterations { _ = try? await benchCase.map(benchCase.event, context) }
        return true
    }

    public static var caseNames: [String] { cases.map(\.name) }

    // MARK: - Measuring

    struct Result {
        var nanoseconds: Double
        var baselineNanoseconds: Double
        var requests: Int
        /// What the mapping returned, so a case that fails or skips is not mistaken for a fast one.
        var outcome: String
    }

    static func measure(_ benchCase: Case, seconds: Double) async -> Result {
        let context = InstantContext(responder: benchCase.responder)
        let payload = JSON.object(benchCase.event.payload)
        // Warm up, and check the case maps as intended before timing it.
        for _ in 0..<200 { _ = try? await benchCase.map(benchCase.event, context) }
        context.requestCount = 0
        let outcome: String
        switch try? await benchCase.map(benchCase.event, context) {
        case .delivered?: outcome = "delivered"
        case .skipped(let reason)?: outcome = "skipped: \(reason)"
        case .held(let reason, _)?: outcome = "held: \(reason)"
        case nil: outcome = "failed"
        }
        let requests = context.requestCount

        let rounds = 5
        let budget = seconds / Double(rounds * 2)
        var best = Double.infinity, bestBaseline = Double.infinity
        for _ in 0..<rounds {
            bestBaseline = min(bestBaseline, timed(budget) { consume(JSONWriter.bytes(payload)) })
            best = min(best, await timedAsync(budget) { _ = try? await benchCase.map(benchCase.event, context) })
        }
        return Result(nanoseconds: best, baselineNanoseconds: bestBaseline, requests: requests, outcome: outcome)
    }

    /// Nanoseconds per call of `body`, repeated in batches until `budget` seconds of CPU time.
    static func timed(_ budget: Double, _ body: () -> Void) -> Double {
        var iterations = 0, batch = 64
        let start = cpuNanoseconds()
        var elapsed: UInt64 = 0
        while Double(elapsed) < budget * 1e9 {
            for _ in 0..<batch { body() }
            iterations += batch
            batch = min(batch * 2, 1 << 16)
            elapsed = cpuNanoseconds() - start
        }
        return Double(elapsed) / Double(iterations)
    }

    static func timedAsync(_ budget: Double, _ body: () async -> Void) async -> Double {
        var iterations = 0, batch = 64
        let start = cpuNanoseconds()
        var elapsed: UInt64 = 0
        while Double(elapsed) < budget * 1e9 {
            for _ in 0..<batch { await body() }
            iterations += batch
            batch = min(batch * 2, 1 << 16)
            elapsed = cpuNanoseconds() - start
        }
        return Double(elapsed) / Double(iterations)
    }

    /// Keeps the optimizer from dropping the baseline's work: nothing can be proven about a
    /// function it does not optimize.
    @_optimize(none)
    static func consume(_ bytes: [UInt8]) {}

    static func cpuNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    // MARK: - Cases

    static let intercomSettings = IntercomSettings(
        apiKey: Secret("9f3c1b7e2d4a6c8e0b1d3f5a7c9e1b3d5f7a9c2e"), nestedHandling: ["preferences": .stringify],
        richLinkProperties: ["order_link"], common: CommonSettings(enabled: true))

    static let clientSuccessSettings = ClientSuccessSettings(
        apiKey: Secret("cs-bench-0123456789abcdef"), projectId: "66e46bd0aff543b6a8e87fa8680fb919", common: CommonSettings(enabled: true))

    /// An identify with 20 traits, 3 of them nested, as a server library sends it.
    static let intercomIdentifyEvent = benchEvent("""
        {"type":"identify","messageId":"bench-identify-1","userId":"user-8841","timestamp":"2024-05-01T12:00:00.000Z",
         "context":{"library":{"name":"analytics-python","version":"2.3.2"},"ip":"203.0.113.7",
                    "userAgent":"Mozilla/5.0 (X11; Linux x86_64)","active":true},
         "traits":{"email":"ada@example.com","name":"Ada Lovelace","phone":"+44 20 7946 0018",
                   "createdAt":"2023-11-14T09:30:00.000Z","plan":"enterprise","title":"Analyst","industry":"Computing",
                   "employees":240,"website":"https://example.com","logins":58,"verified":true,"score":0.87,
                   "referrer":"newsletter","locale":"en-GB","timezone":"Europe/London","seats":12,"trial":false,
                   "address":{"street":"12 St James's Sq","city":"London","country":"GB","postalCode":"SW1Y 4LB"},
                   "preferences":{"theme":"dark","newsletter":true,"language":"en"},
                   "tags":["beta","vip","early-adopter"]}}
        """)

    /// A track with 8 properties: revenue, a rich link, one nested object.
    static let intercomTrackEvent = benchEvent("""
        {"type":"track","messageId":"bench-track-1","userId":"user-8841","event":"Order Completed",
         "timestamp":"2024-05-01T12:00:00.000Z","context":{"library":{"name":"analytics-python","version":"2.3.2"}},
         "properties":{"order_id":"o-5531","revenue":129.95,"currency":"eur","items":3,"coupon":"SPRING",
                       "order_link":{"url":"https://example.com/orders/o-5531","value":"o-5531"},
                       "shipping":{"method":"express","city":"London"},"gift":false}}
        """)

    static let clientSuccessIdentifyEvent = benchEvent("""
        {"type":"identify","messageId":"bench-cs-identify-1","userId":"user-8841",
         "traits":{"firstName":"Ada","lastName":"Lovelace","email":"ada@example.com","title":"Analyst","seats":12,
                   "plan":"enterprise","locale":"en-GB"}}
        """)

    static let clientSuccessTrackEvent = benchEvent("""
        {"type":"track","messageId":"bench-cs-track-1","userId":"user-8841","event":"Report Exported",
         "context":{"traits":{"email":"ada@example.com","name":"Ada Lovelace"}},"properties":{"format":"csv","rows":5120}}
        """)

    static func benchEvent(_ text: String) -> Event {
        guard case .object(let payload)? = try? JSONParser.parse(text), let event = try? Event(payload: payload) else {
            preconditionFailure("benchmark event does not parse: \(text)")
        }
        return event
    }

    static let cases: [Case] = [
        Case(name: "intercom.identify", summary: "20 traits (3 nested), contact found: search + PUT",
             event: intercomIdentifyEvent,
             map: { try await Intercom.map($0, settings: intercomSettings, context: $1) },
             responder: intercomResponder),
        Case(name: "intercom.track", summary: "8 properties (revenue, rich link, 1 nested): POST /events",
             event: intercomTrackEvent,
             map: { try await Intercom.map($0, settings: intercomSettings, context: $1) },
             responder: intercomResponder),
        Case(name: "clientsuccess.identify", summary: "7 traits, group known: POST identify",
             event: clientSuccessIdentifyEvent,
             map: { try await ClientSuccess.map($0, settings: clientSuccessSettings, context: $1) },
             responder: { _ in clientSuccessCreated }),
        Case(name: "clientsuccess.track", summary: "group known: POST events/{name}",
             event: clientSuccessTrackEvent,
             map: { try await ClientSuccess.map($0, settings: clientSuccessSettings, context: $1) },
             responder: { _ in clientSuccessCreated }),
        // The other two destinations take no track calls; their identifies run against the
        // preview's answers (every lookup finds nothing, every write succeeds).
        Case(name: "helpscout.identify", summary: "customer not found: search + create (preview answers)",
             event: helpScoutIdentifyEvent,
             map: { try await HelpScout.map($0, settings: helpScoutSettings, context: $1) },
             responder: RecordingContext.previewResponder),
        Case(name: "zendesk.identify", summary: "user upsert (preview answers)",
             event: helpScoutIdentifyEvent,
             map: { try await Zendesk.map($0, settings: zendeskSettings, context: $1) },
             responder: RecordingContext.previewResponder),
    ]

    static let helpScoutSettings = HelpScoutSettings(
        apiKey: Secret("19a568052a40916806975825946d1a0e39c721d6"), common: CommonSettings(enabled: true))

    static let zendeskSettings = ZendeskSettings(
        email: "ops@example.com", usesAPIToken: true, password: Secret("zendesk-bench-token-0123456789"), subdomain: "example",
        common: CommonSettings(enabled: true))

    /// An identify with the traits the Help Scout and Zendesk docs list.
    static let helpScoutIdentifyEvent = benchEvent("""
        {"type":"identify","messageId":"bench-identify-2","userId":"user-8841",
         "traits":{"email":"ada@example.com","name":"Ada Lovelace","firstName":"Ada","lastName":"Lovelace",
                   "phone":"+44 20 7946 0018","company":"Analytical Engines Ltd","title":"Analyst",
                   "website":"https://example.com","timezone":"Europe/London","locale":"en-GB",
                   "address":{"street":"12 St James's Sq","city":"London","country":"GB","postalCode":"SW1Y 4LB"}}}
        """)

    static let contactFound = HTTPResponse(status: 200, json: [
        "type": "list", "data": [["type": "contact", "id": "6650a1b2c3d4e5f6a7b8c9d0", "external_id": "user-8841"]], "total_count": 1,
    ])
    static let contactSaved = HTTPResponse(status: 200, json: ["type": "contact", "id": "6650a1b2c3d4e5f6a7b8c9d0"])
    static let eventAccepted = HTTPResponse(status: 202)
    static let clientSuccessCreated = HTTPResponse(status: 200, json: ["created": true])

    static func intercomResponder(_ request: HTTPRequest) -> HTTPResponse {
        switch request.method {
        case .PUT: return contactSaved
        case .POST where request.url.hasSuffix("/events"): return eventAccepted
        case .POST where request.url.hasSuffix("/search"): return contactFound
        default: return contactSaved
        }
    }
}

/// Answers at once from a responder and remembers nothing but a request count, so the loop
/// measures the mapping and not the fake.
final class InstantContext: MappingContext {
    let state: MappingState
    let now = Date(timeIntervalSince1970: 1_714_564_800)
    var requestCount = 0
    private let responder: @Sendable (HTTPRequest) -> HTTPResponse

    init(responder: @escaping @Sendable (HTTPRequest) -> HTTPResponse) {
        self.responder = responder
        // ClientSuccess cases need the user's group to be known.
        state = InMemoryMappingState(["clientsuccess.group:user-8841": ["id": "org-17", "name": "Analytical Engines Ltd"]])
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        requestCount += 1
        return responder(request)
    }
}
