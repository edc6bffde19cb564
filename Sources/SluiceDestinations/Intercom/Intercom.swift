import Foundation
import SluiceSpec

/// Intercom, as its Segment doc describes it: identify creates or updates a contact, track
/// submits a data event, group creates or updates a company; page and screen only act in the
/// browser. Server-side calls use Intercom's REST API 2.11.
public enum Intercom: Destination {
    public typealias Settings = IntercomSettings

    public static let id = DestinationID.intercom
    public static let defaultBaseURL = "https://api.intercom.io"
    public static let apiVersion = "2.11"

    /// Intercom enforces its per-app limit in 10-second windows: 1,000 a minute is 166 per 10 s
    /// (rounded down so a full window never exceeds the minute's share).
    public static let documentedRateLimits = [
        RateLimitWindow(key: "perTenSeconds", label: "requests per 10 seconds", limit: 166, seconds: 10),
    ]

    /// Page and screen are listed because the doc lists them; their mapping says why nothing is sent.
    public static let supportedTypes: Set<EventType> = [.identify, .track, .group, .page, .screen]

    /// The skip reason for page and screen, which act only in the browser.
    public static let noServerSideEffect = "no server-side effect"

    public static func map(_ event: Event, settings: IntercomSettings, context: MappingContext) async throws -> MappingOutcome {
        switch event.type {
        case .identify: return try await identify(event, settings: settings, context: context)
        case .track: return try await track(event, settings: settings, context: context)
        case .group: return try await group(event, settings: settings, context: context)
        case .page, .screen: return .skipped(reason: noServerSideEffect)
        case .alias: return .skipped(reason: "Intercom's Segment integration has no alias call")
        }
    }
}

/// The headers every Intercom request carries, and the credential they hold. They reflect and
/// print masked, since they are stored in the settings that get dumped and logged.
struct IntercomRequestHeaders: Sendable, CustomStringConvertible, CustomReflectable {
    let secrets: [Secret]
    let withoutBody: HTTPHeaders
    let withBody: HTTPHeaders

    init(apiKey: Secret) {
        secrets = [apiKey]
        withoutBody = [
            "Authorization": "Bearer " + apiKey.reveal(),
            "Intercom-Version": Intercom.apiVersion,
            "Accept": "application/json",
        ]
        var headers = withoutBody
        headers.add("Content-Type", "application/json")
        withBody = headers
    }

    var description: String { "Intercom headers with Bearer \(secrets[0].masked)" }
    var customMirror: Mirror { Mirror(self, children: ["authorization": "Bearer " + secrets[0].masked]) }
}

/// Builds Intercom requests: the base URL, the headers every call carries, and the paths.
struct IntercomAPI {
    let baseURL: String
    private let headers: IntercomRequestHeaders

    init(settings: IntercomSettings) {
        baseURL = settings.apiBaseURL
        headers = settings.requestHeaders
    }

    /// The body is attached after `HTTPRequest.init`, which would otherwise look for a
    /// Content-Type header with Foundation's case-insensitive compare, a cost larger than the
    /// rest of the mapping; the header is already in `withBody`.
    func request(_ method: HTTPMethod, _ path: String, _ body: JSONObject? = nil) -> HTTPRequest {
        let url = baseURL + path
        guard let body else { return HTTPRequest(method, url, headers: headers.withoutBody, secrets: headers.secrets) }
        var request = HTTPRequest(method, url, headers: headers.withBody, secrets: headers.secrets)
        request.body = .json(.object(body))
        return request
    }

    /// Intercom's ids are hex, so the common case needs no escaping.
    static func pathSegment(_ id: String) -> String {
        let plain = id.utf8.withContiguousStorageIfAvailable { $0.allSatisfy(URLEncoding.isUnreserved) } ?? false
        return plain ? id : URLEncoding.component(id)
    }
}

/// Values read from a response body, with an honest fallback when Intercom answers oddly.
enum IntercomReply {
    /// The `id` of the object in a 2xx body (a created contact or company).
    static func id(_ response: HTTPResponse) -> String? {
        IntercomReplyReader.id(response.body) ?? response.json?["id"]?.scalarText
    }
}

/// Conversions shared by identify, track and group.
enum IntercomValues {
    /// Unix seconds from any date form the doc lists (ISO or JavaScript date text, epoch
    /// milliseconds or seconds, as numbers or digits).
    static func unixSeconds(_ value: JSON?) -> Int64? {
        guard let value else { return nil }
        if case .string(let text) = value, let seconds = ISO8601Seconds.parse(text) { return seconds }
        return Timestamp.unixSeconds(value)
    }

    /// The call's time as `Event.effectiveTimestamp` defines it (`timestamp`, else
    /// `originalTimestamp`, else `receivedAt`), read through the ISO fast path.
    static func eventSeconds(_ event: Event) -> Int64? {
        for field in ["timestamp", "originalTimestamp", "receivedAt"] {
            if let value = event[field], let seconds = unixSeconds(value) { return seconds }
        }
        return nil
    }

    static func unixSeconds(_ date: Date) -> Int64 {
        Int64(date.timeIntervalSince1970.rounded(.down))
    }

    /// A non-empty string, or a number given where text is expected (ids, phone numbers).
    static func text(_ value: JSON?) -> String? {
        guard let text = value?.scalarText, !text.isEmpty else { return nil }
        if case .bool? = value { return nil }
        return text
    }

    /// A number, or numeric text such as "19.99".
    static func number(_ value: JSON?) -> Double? {
        switch value {
        case .int(let i)?: return Double(i)
        case .double(let d)? where d.isFinite: return d
        case .string(let s)?: return Double(CommonSettings.Values.trimmed(s)).flatMap { $0.isFinite ? $0 : nil }
        default: return nil
        }
    }

    /// Intercom's `monthly_spend` is an integer and Intercom truncates fractions; so does this.
    static func wholeAmount(_ value: JSON?) -> Int64? {
        guard let number = number(value), abs(number) < 9e15 else { return nil }
        return Int64(number.rounded(.towardZero))
    }
}
