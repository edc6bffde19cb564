import Foundation
import SluiceSpec

extension Intercom {
    /// identify: find the contact (external_id, then email), update it or create a user, then
    /// apply the `company` trait (join, or leave with `remove: true`).
    static func identify(_ event: Event, settings: IntercomSettings, context: MappingContext) async throws -> MappingOutcome {
        let traits = IntercomIdentifyTraits(event.traits, context: IntercomIdentifyContext(event.context), settings: settings)
        guard event.userId != nil || traits.email != nil else {
            return .skipped(reason: "Intercom needs a userId or an email trait to find or create a contact")
        }
        let api = IntercomAPI(settings: settings)
        let match = try await IntercomContactLookup.find(userId: event.userId, email: traits.email, api: api, context: context)
        let contact = IntercomContactBody.make(event: event, traits: traits, now: context.now, creating: match == nil)
        var notes = contact.notes
        let contactId: String?
        if let match {
            try await context.sendExpectingSuccess(api.request(.PUT, "/contacts/" + IntercomAPI.pathSegment(match.id), contact.body))
            contactId = match.id
        } else {
            // A 409 here means Intercom's search index has not caught up with a recent create;
            // it surfaces as a failure the engine retries.
            let reply = try await context.sendExpectingSuccess(api.request(.POST, "/contacts", contact.body))
            contactId = IntercomReply.id(reply)
        }
        if let company = traits.company {
            notes += try await IntercomCompanyMembership.apply(company, contactId: contactId, settings: settings, api: api, context: context)
        }
        return .delivered(notes: notes)
    }
}

/// The body of `POST /contacts` and `PUT /contacts/{id}`, built from the call alone.
enum IntercomContactBody {
    static func make(event: Event, traits sorted: IntercomIdentifyTraits, now: Date, creating: Bool)
        -> (body: JSONObject, notes: [String])
    {
        let context = sorted.context
        var body: [(key: String, value: JSON)] = []
        body.reserveCapacity(9)
        var notes: [String] = []
        if creating { body.append((key: "role", value: "user")) }
        if let userId = event.userId { body.append((key: "external_id", value: .string(userId))) }
        if let email = sorted.email { body.append((key: "email", value: .string(email))) }
        if let name = sorted.fullName { body.append((key: "name", value: .string(name))) }
        if let phone = IntercomValues.text(sorted.phone) { body.append((key: "phone", value: .string(phone))) }
        if let createdAt = sorted.createdAt {
            if let seconds = IntercomValues.unixSeconds(createdAt) {
                body.append((key: "signed_up_at", value: .int(seconds)))
            } else {
                notes.append("createdAt \(createdAt.description.prefix(40)) is not a date; signed_up_at was not sent")
            }
        }
        let lastSeen = lastSeenAt(active: context.active, lastRequestAt: sorted.lastRequestAt, now: now)
        if let seconds = lastSeen.seconds { body.append((key: "last_seen_at", value: .int(seconds))) }
        if let note = lastSeen.note { notes.append(note) }
        // Sent only to unsubscribe: a `false` would re-subscribe someone who unsubscribed
        // through Intercom's own link, which the call's sender cannot know about.
        if intercomOption("unsubscribedFromEmails", context: context, event: event)?.boolValue == true {
            body.append((key: "unsubscribed_from_emails", value: true))
        }
        if !sorted.custom.isEmpty { body.append((key: "custom_attributes", value: .object(sorted.custom))) }
        return (JSONObject(body), notes)
    }

    /// `context.active: true` sets last seen to now, or to a `lastRequestAt` trait; `false`
    /// leaves it untouched; absent sends nothing, since Intercom's API does not update it on
    /// its own for server-side writes.
    static func lastSeenAt(active: Bool?, lastRequestAt given: JSON?, now: Date) -> (seconds: Int64?, note: String?) {
        guard active == true else {
            if given == nil { return (nil, nil) }
            return (nil, "lastRequestAt was not sent: Intercom sets last seen only when context.active is true")
        }
        guard let given else { return (IntercomValues.unixSeconds(now), nil) }
        guard let seconds = IntercomValues.unixSeconds(given) else {
            return (IntercomValues.unixSeconds(now), "lastRequestAt \(given.description.prefix(40)) is not a date; last seen set to now")
        }
        return (seconds, nil)
    }

    /// Intercom-specific options travel in `context.Intercom` (as the doc's examples send them)
    /// or in `integrations.Intercom`.
    static func intercomOption(_ name: String, context: IntercomIdentifyContext, event: Event) -> JSON? {
        context.intercom?[name] ?? event.integrations["Intercom"]?[name]
    }
}

/// An identify's traits sorted in one pass into the ones with a meaning of their own and the
/// custom attributes. Looking each special trait up by name instead would compare every key
/// about ten times, the largest cost of the mapping.
struct IntercomIdentifyTraits {
    private(set) var email: String?
    private(set) var phone: JSON?
    private(set) var company: JSON?
    private(set) var lastRequestAt: JSON?
    /// The remaining traits (nested ones per the settings), then the collected context, then
    /// `last_seen_user_agent` and `last_seen_ip`; a trait of the same name wins over the context.
    private(set) var custom = JSONObject()
    let context: IntercomIdentifyContext
    private var name: String?
    private var firstName: (camel: String?, snake: String?)
    private var lastName: (camel: String?, snake: String?)
    private var created: (camel: JSON?, snake: JSON?)

    /// `createdAt`, else `created_at`.
    var createdAt: JSON? { created.camel ?? created.snake }

    /// `name`, else first and last name (camelCase or snake_case) joined by a space.
    var fullName: String? {
        if let name { return name }
        let joined = CommonSettings.Values.trimmed((firstName.camel ?? firstName.snake ?? "") + " " + (lastName.camel ?? lastName.snake ?? ""))
        return joined.isEmpty ? nil : joined
    }

    init(_ traits: JSONObject, context: IntercomIdentifyContext, settings: IntercomSettings) {
        self.context = context
        // Rich Links are an event-metadata type; contact attributes hold only scalars, so a
        // rich link property among the traits is handled like any other nested trait.
        var writer = IntercomFlatWriter(settings: settings, richLinks: false, expectedCount: traits.count)
        for trait in traits {
            let value = trait.value
            // Matched by length first; nulls of special traits are ignored, not sent.
            switch trait.key.utf8.count {
            case 4 where trait.key == "name": name = Self.nonEmpty(value)
            case 5 where trait.key == "email": email = Self.nonEmpty(value)
            case 5 where trait.key == "phone": phone = value.isNull ? nil : value
            // Read-only in Intercom (derived from the email), so never sent.
            case 6 where trait.key == "avatar": break
            case 7 where trait.key == "company": company = value.isNull ? nil : value
            case 8 where trait.key == "lastName": lastName.camel = Self.nonEmpty(value)
            case 9 where trait.key == "firstName": firstName.camel = Self.nonEmpty(value)
            case 9 where trait.key == "last_name": lastName.snake = Self.nonEmpty(value)
            case 9 where trait.key == "createdAt": created.camel = value.isNull ? nil : value
            case 10 where trait.key == "first_name": firstName.snake = Self.nonEmpty(value)
            case 10 where trait.key == "created_at": created.snake = value.isNull ? nil : value
            case 13 where trait.key == "lastRequestAt": lastRequestAt = value.isNull ? nil : value
            default: writer.append(trait.key, value)
            }
        }
        Self.appendContext(context, collect: settings.collectContext, to: &writer)
        custom = writer.finish()
    }

    /// Intercom's 2.x contact API has no writable top-level `last_seen_user_agent` or
    /// `last_seen_ip` (those were fields of the retired 1.x users API the doc was written for),
    /// so they are custom attributes here, under the names the doc gives them.
    private static func appendContext(_ context: IntercomIdentifyContext, collect: Bool, to writer: inout IntercomFlatWriter) {
        func appendUnlessTaken(_ name: String, _ value: JSON?) {
            guard let text = IntercomValues.text(value), !writer.contains(key: name) else { return }
            writer.appendAsIs(name, .string(text))
        }
        // "Include Context with Identify Calls": the doc's seven context fields.
        if collect {
            appendUnlessTaken("device_type", context.device?["type"])
            appendUnlessTaken("device_manufacturer", context.device?["manufacturer"])
            appendUnlessTaken("device_model", context.device?["model"])
            appendUnlessTaken("os_name", context.os?["name"])
            appendUnlessTaken("os_version", context.os?["version"])
            appendUnlessTaken("app_name", context.app?["name"])
            appendUnlessTaken("app_version", context.app?["version"])
        }
        appendUnlessTaken("last_seen_user_agent", context.userAgent)
        appendUnlessTaken("last_seen_ip", context.ip)
    }

    private static func nonEmpty(_ value: JSON) -> String? {
        guard case .string(let text) = value, !text.isEmpty else { return nil }
        return text
    }
}

/// The parts of an identify's context the mapping reads, found in one pass.
struct IntercomIdentifyContext {
    private(set) var active: Bool?
    private(set) var intercom: JSON?
    private(set) var userAgent: JSON?
    private(set) var ip: JSON?
    private(set) var device: JSON?
    private(set) var os: JSON?
    private(set) var app: JSON?

    init(_ context: JSONObject) {
        for entry in context {
            switch entry.key.utf8.count {
            case 2 where entry.key == "ip": ip = entry.value
            case 2 where entry.key == "os": os = entry.value
            case 3 where entry.key == "app": app = entry.value
            case 6 where entry.key == "active": active = entry.value.boolValue
            case 6 where entry.key == "device": device = entry.value
            case 8 where entry.key == "Intercom": intercom = entry.value
            case 9 where entry.key == "userAgent": userAgent = entry.value
            default: break
            }
        }
    }
}
