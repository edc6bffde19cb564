import SluiceSpec

/// Zendesk, as its Segment doc describes it: `identify` upserts a user matched by
/// `traits.email`, `group` upserts an organization matched by `groupId` and links the calling
/// user to it. Several matches mean no update is submitted.
public enum Zendesk: Destination {
    public typealias Settings = ZendeskSettings

    public static let id = DestinationID.zendesk
    /// The subdomain comes from the settings; `ZendeskSettings.apiBaseURL` fills it in.
    public static let defaultBaseURL = "https://{subdomain}.zendesk.com"
    /// The Team plan's limit, the default; `ZendeskSettings.rateLimits` follows the configured plan.
    public static let documentedRateLimits = ZendeskPlan.team.documentedRateLimits
    public static let supportedTypes: Set<EventType> = [.identify, .group]

    public static func map(_ event: Event, settings: ZendeskSettings, context: MappingContext) async throws -> MappingOutcome {
        switch event.type {
        case .identify: return try await identify(event, settings: settings, context: context)
        case .group: return try await group(event, settings: settings, context: context)
        case .track, .page, .screen, .alias: return .skipped(reason: unsupportedCallReason(event.type))
        }
    }

    /// Needs `traits.email` and a name; searches users by email first so that several users
    /// sharing it are left alone, then upserts.
    static func identify(_ event: Event, settings: ZendeskSettings, context: MappingContext) async throws -> MappingOutcome {
        let traits = event.traits
        guard let email = ZendeskBodies.userEmail(traits) else {
            return .skipped(reason: "Zendesk needs traits.email to match the user")
        }
        let name: String
        switch ZendeskBodies.userName(traits) {
        case .success(let value): name = value
        case .failure(let reason): return .skipped(reason: reason.text)
        }
        let api = ZendeskAPI(settings: settings, context: context)
        let matches = try await api.searchUsers(email: email)
        if matches.count > 1 {
            return .skipped(reason: "several Zendesk users share \(email)")
        }
        let body = ZendeskBodies.userUpsert(email: email, name: name, userId: event.userId, traits: traits, verified: settings.verified)
        let response = try await api.upsertUser(body)
        return .delivered(notes: [response.status == 201 ? "created user" : "updated user"])
    }

    /// Upserts the organization by `external_id` = groupId, then links the calling user, found
    /// by `userId` as external_id or else by the user's email in `context.traits`.
    static func group(_ event: Event, settings: ZendeskSettings, context: MappingContext) async throws -> MappingOutcome {
        guard let groupId = event.groupId else { return .skipped(reason: "Zendesk needs a groupId") }
        let traits = groupTraits(event)
        let api = ZendeskAPI(settings: settings, context: context)
        let organizations = try await api.searchOrganizations(externalId: groupId)
        if organizations.count > 1 {
            return .skipped(reason: "several Zendesk organizations have external_id \(groupId)")
        }
        if organizations.count == 0, ZendeskBodies.text(traits["name"]) == nil {
            return .skipped(reason: "Zendesk needs traits.name to create organization \(groupId)")
        }
        let organizationId = try await api.upsertOrganization(ZendeskBodies.organizationUpsert(groupId: groupId, traits: traits))
            ?? organizations.onlyId
        guard let organizationId else {
            return .delivered(notes: ["Zendesk returned no organization id; the user was not linked"])
        }

        let member = try await findUser(event, api: api)
        guard let userId = member.id else {
            return .delivered(notes: ["organization \(organizationId.scalarText ?? "") updated; the user was not linked: \(member.why)"])
        }
        let created = try await api.createMembership(ZendeskBodies.membership(userId: userId, organizationId: organizationId))
        return .delivered(notes: created ? [] : ["user \(userId.scalarText ?? "") already belonged to organization \(organizationId.scalarText ?? "")"])
    }

    /// A group call's own traits only: the user's `context.traits` describe the user, not the group.
    static func groupTraits(_ event: Event) -> JSONObject {
        event.payload["traits"]?.objectValue ?? JSONObject()
    }

    /// The calling user's Zendesk id, or why there is none.
    private static func findUser(_ event: Event, api: ZendeskAPI) async throws -> (id: JSON?, why: String) {
        var why: [String] = []
        if let userId = event.userId {
            let matches = try await api.searchUsers(externalId: userId)
            if let id = matches.onlyId { return (id, "") }
            why.append(matches.count > 1 ? "several Zendesk users have external_id \(userId)" : "no Zendesk user has external_id \(userId)")
        }
        if let email = event.context["traits"]?["email"]?.stringValue.map(FastText.trimmed), !email.isEmpty {
            let matches = try await api.searchUsers(email: email)
            if let id = matches.onlyId { return (id, "") }
            why.append(matches.count > 1 ? "several Zendesk users share \(email)" : "no Zendesk user has the email \(email)")
        }
        if why.isEmpty { why.append("the call has no userId and no context.traits.email to find the user by") }
        return (nil, why.joined(separator: "; "))
    }
}
