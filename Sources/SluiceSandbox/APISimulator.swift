import Foundation
import SluiceSpec

/// What one simulated API supplies to the shared machinery (`SimulatedDestination`): its
/// routes, how it checks credentials, how it answers, and its own formats for errors and
/// rate-limit headers.
protocol APISimulator: AnyObject, Sendable {
    var routes: RouteTable { get }
    /// Routes that need no credentials and are not rate-limited, like Help Scout's token endpoint.
    func isPublic(_ route: RouteKey) -> Bool
    /// Nil when the request carries valid credentials, else the API's 401.
    func authenticate(_ request: SandboxRequest, now: Date) -> SandboxResponse?
    func handle(_ match: RouteMatch, _ request: SandboxRequest, now: Date) -> SandboxResponse
    /// An error in the API's own format, for injected 5xx, outages and unknown routes.
    func errorResponse(status: Int, message: String) -> SandboxResponse
    /// Headers every admitted response carries.
    func rateLimitHeaders(_ statuses: [RateLimitStatus], now: Date) -> [(name: String, value: String)]
    func tooManyRequests(_ refusal: RateLimitRefusal, now: Date) -> SandboxResponse
    /// Every object the simulator holds, for the control API and tests.
    func stateJSON() -> JSON
    func reset()
}

extension APISimulator {
    func isPublic(_ route: RouteKey) -> Bool { false }
}

/// Why a request gets a 429: the window that ran out (or a storm), and the windows' standing
/// for the headers.
struct RateLimitRefusal {
    let windowName: String
    let limit: Int
    let retryAfterSeconds: Int
    let statuses: [RateLimitStatus]
    let resetAt: Date
}

/// Reason phrases for the statuses the simulators send.
enum HTTPStatusText {
    static func text(_ status: Int) -> String {
        switch status {
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 409: return "Conflict"
        case 422: return "Unprocessable Entity"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return "HTTP \(status)"
        }
    }
}
