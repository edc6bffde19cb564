import SluiceSpec

/// The one entry point from a call to a destination's mapping, shared by the engine and
/// previews: it applies the settings file, the call's `integrations` object and the
/// destination's supported call types before the mapping runs.
public enum Destinations {
    /// Maps `event` to destination `id`.
    ///
    /// - Parameter requireEnabled: the engine sends only to destinations the file enables;
    ///   a preview passes `false` to show what a disabled or unconfigured one would send, using
    ///   the destination's defaults where the file has no settings.
    public static func map(_ event: Event, to id: DestinationID, settings file: SettingsFile,
                           context: MappingContext, requireEnabled: Bool = true) async throws -> MappingOutcome {
        switch id {
        case .helpscout: return try await route(HelpScout.self, event, file.helpscout, context, requireEnabled)
        case .zendesk: return try await route(Zendesk.self, event, file.zendesk, context, requireEnabled)
        case .clientsuccess: return try await route(ClientSuccess.self, event, file.clientsuccess, context, requireEnabled)
        case .intercom: return try await route(Intercom.self, event, file.intercom, context, requireEnabled)
        }
    }

    public static func supportedTypes(of id: DestinationID) -> Set<EventType> {
        switch id {
        case .helpscout: return HelpScout.supportedTypes
        case .zendesk: return Zendesk.supportedTypes
        case .clientsuccess: return ClientSuccess.supportedTypes
        case .intercom: return Intercom.supportedTypes
        }
    }

    /// The rate-limit windows in force for `id`: the documented ones (Zendesk's for the
    /// configured plan), lowered where the operator asked.
    public static func rateLimits(of id: DestinationID, in file: SettingsFile) -> [RateLimitWindow] {
        switch id {
        case .helpscout: return (file.helpscout ?? HelpScoutSettings()).rateLimits
        case .zendesk: return (file.zendesk ?? ZendeskSettings()).rateLimits
        case .clientsuccess:
            return file.clientsuccess?.common.effectiveRateLimits(documented: ClientSuccess.documentedRateLimits) ?? ClientSuccess.documentedRateLimits
        case .intercom:
            return file.intercom?.common.effectiveRateLimits(documented: Intercom.documentedRateLimits) ?? Intercom.documentedRateLimits
        }
    }

    /// Skips a call for a destination that is not configured or enabled, that the call's
    /// `integrations` object excludes, or whose type the destination does not take; else runs
    /// the destination's mapping. Typed all the way, so the engine's hot path neither boxes
    /// settings nor casts them.
    static func route<D: Destination>(_ destination: D.Type, _ event: Event, _ configured: D.Settings?,
                                      _ context: MappingContext, _ requireEnabled: Bool) async throws -> MappingOutcome {
        let settings: D.Settings
        if let configured {
            if requireEnabled, !configured.common.enabled {
                return .skipped(reason: "\(D.id.displayName) is disabled in the settings")
            }
            settings = configured
        } else {
            if requireEnabled { return .skipped(reason: "\(D.id.displayName) is not configured in the settings file") }
            guard let defaults = try? D.Settings(json: [:]) else {
                return .skipped(reason: "\(D.id.displayName) has no settings and no defaults to preview with")
            }
            settings = defaults
        }
        guard event.isAllowed(to: D.id) else {
            return .skipped(reason: "integrations object excludes \(D.id.displayName)")
        }
        guard D.supportedTypes.contains(event.type) else {
            return .skipped(reason: D.unsupportedCallReason(event.type))
        }
        return try await D.map(event, settings: settings, context: context)
    }
}

extension Destination {
    /// "Zendesk takes only identify and group calls; track calls are not sent". The reason has
    /// no per-call detail, so the engine's count of skips by reason stays one line per type.
    public static func unsupportedCallReason(_ type: EventType) -> String {
        let supported = EventType.allCases.filter { supportedTypes.contains($0) }.map(\.rawValue)
        let list: String
        switch supported.count {
        case 0: list = "no"
        case 1: list = supported[0]
        default: list = supported.dropLast().joined(separator: ", ") + " and " + supported.last!
        }
        return "\(id.displayName) takes only \(list) calls; \(type.rawValue) calls are not sent"
    }
}
