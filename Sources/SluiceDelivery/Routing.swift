import SluiceDestinations
import SluiceSpec
import SluiceStore

/// Decides, for each stored event, which destinations get a job and which skip it and why.
public enum Routing {
    public static func decide(_ stored: StoredEvent, settings: SettingsFile) -> [RouteDecision] {
        decideAndParse(stored, settings: settings).decisions
    }

    /// Also returns the parsed event when any destination takes it, so delivery need not read
    /// and parse it again.
    public static func decideAndParse(_ stored: StoredEvent, settings: SettingsFile) -> (decisions: [RouteDecision], event: Event?) {
        decideAndParse(stored, enabled: enabledDestinations(settings))
    }

    /// The destinations enabled in `settings`, worked out once per batch of events.
    public static func enabledDestinations(_ settings: SettingsFile) -> [DestinationID] {
        DestinationID.allCases.filter { settings.settings(for: $0)?.common.enabled == true }
    }

    public static func decideAndParse(_ stored: StoredEvent, enabled: [DestinationID]) -> (decisions: [RouteDecision], event: Event?) {
        var decisions: [RouteDecision] = []
        decisions.reserveCapacity(enabled.count)
        var parsed: Event??
        for id in enabled {
            guard Destinations.supportedTypes(of: id).contains(stored.record.type) else {
                decisions.append(.skip(destination: id.rawValue, reason: unsupportedReason(id, stored.record.type)))
                continue
            }
            if parsed == nil { parsed = .some(try? stored.event()) }
            guard let event = parsed ?? nil else {
                decisions.append(.skip(destination: id.rawValue, reason: "the stored event could not be read"))
                continue
            }
            guard event.isAllowed(to: id) else {
                decisions.append(.skip(destination: id.rawValue, reason: "integrations object excludes \(id.displayName)"))
                continue
            }
            decisions.append(.enqueue(destination: id.rawValue, lane: laneKey(event, for: id)))
        }
        return (decisions, parsed ?? nil)
    }

    /// The key whose jobs are delivered strictly in order: the user, except at Help Scout,
    /// where customers are keyed by email and two users sharing one must not race to create it.
    public static func laneKey(_ event: Event, for id: DestinationID) -> String {
        if id == .helpscout, let email = HelpScout.serializationKey(for: event) { return "email:" + email }
        return "user:" + event.userKey
    }

    static func unsupportedReason(_ id: DestinationID, _ type: EventType) -> String {
        switch id {
        case .helpscout: return HelpScout.unsupportedCallReason(type)
        case .zendesk: return Zendesk.unsupportedCallReason(type)
        case .clientsuccess: return ClientSuccess.unsupportedCallReason(type)
        case .intercom: return Intercom.unsupportedCallReason(type)
        }
    }
}

/// Merges identifies of one user that are still queued into one call: the newest payload,
/// with traits (and RudderStack's `context.traits`) merged so later values win.
public enum Coalescing {
    public static func merge(_ events: [Event]) -> Event {
        guard events.count > 1, var payload = events.last?.payload else { return events[0] }
        var traits = JSONObject()
        var contextTraits = JSONObject()
        for event in events {
            for entry in event.payload["traits"]?.objectValue ?? [:] { traits[entry.key] = entry.value }
            for entry in event.payload["context"]?["traits"]?.objectValue ?? [:] { contextTraits[entry.key] = entry.value }
        }
        if !traits.isEmpty { payload["traits"] = .object(traits) }
        if !contextTraits.isEmpty, case .object(var context)? = payload["context"] {
            context["traits"] = .object(contextTraits)
            payload["context"] = .object(context)
        }
        return (try? Event(payload: payload)) ?? events.last!
    }
}
