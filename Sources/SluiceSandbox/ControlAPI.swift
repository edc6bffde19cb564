import Foundation
import SluiceSpec

/// The sandbox's own JSON API under `/_sandbox/`: read a destination's objects and counters,
/// inject faults, change rate limits, reset.
///
///     GET  /_sandbox                      destinations and their paths
///     GET  /_sandbox/stats                every destination's counters
///     POST /_sandbox/reset                forget all objects, counters, faults and window counts
///     GET  /_sandbox/{destination}/state  the destination's objects
///     GET  /_sandbox/{destination}/stats
///     GET  /_sandbox/{destination}/faults    POST to replace them
///     GET  /_sandbox/{destination}/limits    POST to change them
///     POST /_sandbox/{destination}/reset
enum ControlAPI {
    static func handle(_ request: SandboxRequest, core: SandboxCore) -> SandboxResponse {
        let parts = request.path.split(separator: "/").map(String.init)
        let now = core.clock.now
        switch (request.method, parts.count) {
        case ("GET", 0):
            return .json(200, ["destinations": .array(SandboxDestination.allCases.map { destination in
                ["name": .string(destination.rawValue), "displayName": .string(destination.displayName),
                 "baseURL": .string(request.baseURL + destination.pathPrefix)]
            })])
        case ("GET", 1) where parts[0] == "stats":
            var all = JSONObject()
            for destination in SandboxDestination.allCases { all[destination.rawValue] = statsJSON(core[destination].stats.snapshot) }
            return .json(200, .object(all))
        case ("POST", 1) where parts[0] == "reset":
            core.reset()
            return .json(200, ["reset": true])
        default:
            break
        }
        guard let name = parts.first, let destination = SandboxDestination(name: name) else {
            return problem(404, "no control endpoint \(request.method) /_sandbox/\(parts.joined(separator: "/"))",
                           fix: "use /_sandbox/{destination}/state|stats|faults|limits|reset with destination one of "
                               + SandboxDestination.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let simulated = core[destination]
        switch (request.method, parts.dropFirst().first ?? "") {
        case ("GET", "state"):
            return .json(200, simulated.simulator.stateJSON())
        case ("GET", "stats"):
            return .json(200, statsJSON(simulated.stats.snapshot))
        case ("GET", "faults"):
            return .json(200, faultsJSON(simulated.faults, now: now))
        case ("POST", "faults"):
            switch faultSettings(from: request.json) {
            case .success(let settings):
                simulated.faults.apply(settings, now: now)
                return .json(200, faultsJSON(simulated.faults, now: now))
            case .failure(let error):
                return problem(400, error.message, fix: "send e.g. {\"errorRate\":0.1,\"seed\":7,\"latencyMs\":50,\"jitterMs\":20,\"outage\":\"close\",\"outageSeconds\":5,\"stormSeconds\":10}; {} clears every fault")
            }
        case ("GET", "limits"):
            return .json(200, limitsJSON(simulated.limiter, now: now))
        case ("POST", "limits"):
            switch updatedPolicy(simulated.limiter.policy, from: request.json) {
            case .success(let policy):
                simulated.limiter.setPolicy(policy)
                return .json(200, limitsJSON(simulated.limiter, now: now))
            case .failure(let error):
                let names = simulated.limiter.policy.windows.map(\.name).joined(separator: ", ")
                return problem(400, error.message, fix: "send e.g. {\"scale\":0.5} or {\"windows\":{\"\(simulated.limiter.policy.windows.first?.name ?? "minute")\":50}}; windows here: \(names)")
            }
        case ("POST", "reset"):
            simulated.reset()
            return .json(200, ["reset": .string(destination.rawValue)])
        default:
            return problem(404, "no control endpoint \(request.method) /_sandbox/\(parts.joined(separator: "/"))",
                           fix: "use GET state|stats|faults|limits or POST faults|limits|reset")
        }
    }

    struct Problem: Error {
        let message: String
    }

    private static func problem(_ status: Int, _ message: String, fix: String) -> SandboxResponse {
        .json(status, ["error": .string(message), "fix": .string(fix)])
    }

    // MARK: - Faults

    /// A POST replaces every fault: what the body leaves out is off.
    static func faultSettings(from json: JSON?) -> Result<FaultSettings, Problem> {
        guard let body = json?.objectValue ?? (json == nil ? [:] : nil) else { return .failure(Problem(message: "the body must be a JSON object")) }
        let known: Set<String> = ["errorRate", "errorStatuses", "seed", "latencyMs", "jitterMs", "outage", "outageSeconds", "stormSeconds"]
        if let unknown = body.keys.first(where: { !known.contains($0) }) {
            return .failure(Problem(message: "unknown fault \"\(unknown)\"; known: \(known.sorted().joined(separator: ", "))"))
        }
        var settings = FaultSettings()
        if let rate = body["errorRate"] {
            guard let value = rate.numberValue, (0...1).contains(value) else { return .failure(Problem(message: "errorRate must be a number from 0 to 1")) }
            settings.errorRate = value
        }
        if let statuses = body["errorStatuses"] {
            guard let list = statuses.arrayValue?.compactMap(\.integerValue), !list.isEmpty, list.count == statuses.arrayValue?.count,
                  list.allSatisfy({ (500...599).contains($0) })
            else { return .failure(Problem(message: "errorStatuses must be a non-empty array of 5xx statuses")) }
            settings.errorStatuses = list.map { Int($0) }
        }
        if let seed = body["seed"], !seed.isNull {
            guard let value = seed.integerValue, value >= 0 else { return .failure(Problem(message: "seed must be a non-negative integer")) }
            settings.seed = UInt64(value)
        }
        switch (milliseconds(body["latencyMs"], "latencyMs"), milliseconds(body["jitterMs"], "jitterMs")) {
        case (.failure(let problem), _), (_, .failure(let problem)): return .failure(problem)
        case (.success(let latency), .success(let jitter)):
            settings.latency = latency ?? .zero
            settings.jitter = jitter ?? .zero
        }
        if let outage = body["outage"], !outage.isNull {
            guard let mode = outage.scalarText.flatMap(OutageMode.init(rawValue:)) else {
                return .failure(Problem(message: "outage must be \"close\", \"hang\" or \"503\""))
            }
            settings.outage = mode
        }
        switch (seconds(body["outageSeconds"], "outageSeconds"), seconds(body["stormSeconds"], "stormSeconds")) {
        case (.failure(let problem), _), (_, .failure(let problem)): return .failure(problem)
        case (.success(let outage), .success(let storm)):
            settings.outageDuration = outage
            settings.rateLimitStorm = storm
        }
        return .success(settings)
    }

    private static func milliseconds(_ value: JSON?, _ key: String) -> Result<Duration?, Problem> {
        guard let value, !value.isNull else { return .success(nil) }
        guard let millis = value.numberValue, millis >= 0, millis <= 600_000 else {
            return .failure(Problem(message: "\(key) must be milliseconds from 0 to 600000"))
        }
        return .success(.milliseconds(Int64(millis.rounded())))
    }

    private static func seconds(_ value: JSON?, _ key: String) -> Result<Duration?, Problem> {
        guard let value, !value.isNull else { return .success(nil) }
        guard let seconds = value.numberValue, seconds > 0 else {
            return .failure(Problem(message: "\(key) must be a positive number of seconds"))
        }
        return .success(.milliseconds(Int64((seconds * 1000).rounded())))
    }

    static func faultsJSON(_ faults: FaultInjector, now: Date) -> JSON {
        // Reading the outage and storm first clears those whose time is up.
        let outage = faults.outage(at: now)
        let stormEnd = faults.stormEnd(at: now)
        let settings = faults.settings
        let deadlines = faults.deadlines()
        return [
            "errorRate": .double(settings.errorRate),
            "errorStatuses": .array(settings.errorStatuses.map { .int(Int64($0)) }),
            "seed": settings.seed.map { .int(Int64(bitPattern: $0)) } ?? .null,
            "latencyMs": .int(Int64((settings.latency.seconds * 1000).rounded())),
            "jitterMs": .int(Int64((settings.jitter.seconds * 1000).rounded())),
            "outage": outage.map { .string($0.rawValue) } ?? .null,
            "outageEndsAt": deadlines.outageUntil.map { .string(ISO8601.string($0)) } ?? .null,
            "stormEndsAt": stormEnd.map { .string(ISO8601.string($0)) } ?? .null,
        ]
    }

    // MARK: - Limits

    /// `{"scale": X, "enabled": B, "windows": {"name": limit | {"limit", "seconds"}}}`; what the
    /// body leaves out stays as it is.
    static func updatedPolicy(_ current: RateLimitPolicy, from json: JSON?) -> Result<RateLimitPolicy, Problem> {
        guard let body = json?.objectValue else { return .failure(Problem(message: "the body must be a JSON object")) }
        var policy = current
        if let scale = body["scale"] {
            guard let value = scale.numberValue, value > 0 else { return .failure(Problem(message: "scale must be a positive number")) }
            policy.scale = value
        }
        if let enabled = body["enabled"] {
            guard let value = enabled.boolValue else { return .failure(Problem(message: "enabled must be true or false")) }
            policy.isEnabled = value
        }
        if let windows = body["windows"] {
            guard let object = windows.objectValue else { return .failure(Problem(message: "windows must be an object of window name to limit")) }
            for entry in object {
                guard let index = policy.windows.firstIndex(where: { $0.name == entry.key }) else {
                    return .failure(Problem(message: "no window named \"\(entry.key)\""))
                }
                let limit = entry.value.integerValue ?? entry.value["limit"]?.integerValue
                if let limit {
                    guard limit > 0 else { return .failure(Problem(message: "window \(entry.key): limit must be positive")) }
                    policy.windows[index].limit = Int(limit)
                }
                if let seconds = entry.value["seconds"] {
                    guard let value = seconds.numberValue, value > 0 else { return .failure(Problem(message: "window \(entry.key): seconds must be positive")) }
                    policy.windows[index].seconds = value
                }
                if limit == nil, entry.value["seconds"] == nil {
                    return .failure(Problem(message: "window \(entry.key): give a limit, or {\"limit\":N,\"seconds\":S}"))
                }
            }
        }
        return .success(policy)
    }

    static func limitsJSON(_ limiter: FixedWindowRateLimiter, now: Date) -> JSON {
        let policy = limiter.policy
        let statuses = limiter.statuses(at: now)
        return [
            "enabled": .bool(policy.isEnabled),
            "scale": .double(policy.scale),
            "windows": .array(statuses.map { status in
                ["name": .string(status.window.name), "limit": .int(Int64(status.window.limit)),
                 "effectiveLimit": .int(Int64(status.limit)), "seconds": .double(status.window.seconds),
                 "writesOnly": .bool(status.window.writesOnly), "remaining": .int(Int64(status.remaining)),
                 "resetAt": .int(Int64(status.resetAt.timeIntervalSince1970.rounded(.up)))]
            }),
        ]
    }

    // MARK: - Stats

    /// The latest 429 records are listed; the full record is in `Sandbox.stats(for:)`.
    static let listedRateLimitRecords = 200

    static func statsJSON(_ stats: DestinationStats) -> JSON {
        var requests = JSONObject()
        for route in stats.requests.keys.sorted() {
            var outcomes = JSONObject()
            for (outcome, count) in stats.requests[route]!.sorted(by: { $0.key < $1.key }) { outcomes[outcome.description] = .int(Int64(count)) }
            requests[route.description] = .object(outcomes)
        }
        let records: [JSON] = stats.rateLimited.suffix(listedRateLimitRecords).map { record in
            ["time": .string(ISO8601.string(record.time)), "route": .string(record.route.description), "window": .string(record.window),
             "retryAfter": .int(Int64(record.retryAfterSeconds)), "cause": .string(record.cause.rawValue)]
        }
        return [
            "total": .int(Int64(stats.totalRequests)),
            "requests": .object(requests),
            "rateLimited": ["count": .int(Int64(stats.rateLimited.count + stats.droppedRateLimitRecords)), "latest": .array(records)],
        ]
    }
}
