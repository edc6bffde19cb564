import SluiceSpec

/// Pure builders for the Zendesk Support API bodies: the call in, the JSON out, or the reason
/// the call cannot be sent.
enum ZendeskBodies {
    /// Traits with a place in the user record; every other trait goes to `user_fields`.
    static let mappedUserTraits: Set<String> = [
        "email", "name", "first_name", "last_name", "firstName", "lastName",
        "phone", "timezone", "time_zone", "locale", "locale_id",
    ]

    /// Group traits with a place in the organization record; the rest go to `organization_fields`.
    static let mappedOrganizationTraits: Set<String> = ["name", "url", "website"]

    /// The email the user is matched by, from `traits.email`.
    static func userEmail(_ traits: JSONObject) -> String? {
        guard let email = traits["email"]?.scalarText.map(FastText.trimmed), !email.isEmpty else { return nil }
        return email
    }

    /// `traits.name`, else `first_name last_name` (or the camelCase forms); the error names
    /// what is missing.
    static func userName(_ traits: JSONObject) -> Result<String, SkipReason> {
        if let name = text(traits["name"]) { return .success(name) }
        let first = text(traits["first_name"]) ?? text(traits["firstName"])
        let last = text(traits["last_name"]) ?? text(traits["lastName"])
        switch (first, last) {
        case let (first?, last?): return .success(first + " " + last)
        case (_?, nil): return .failure(SkipReason("Zendesk needs traits.name, or both first_name and last_name; last_name is missing"))
        case (nil, _?): return .failure(SkipReason("Zendesk needs traits.name, or both first_name and last_name; first_name is missing"))
        case (nil, nil): return .failure(SkipReason("Zendesk needs traits.name, or both first_name and last_name"))
        }
    }

    /// `POST /api/v2/users/create_or_update.json`.
    static func userUpsert(email: String, name: String, userId: String?, traits: JSONObject, verified: Bool) -> JSON {
        var user: JSONObject = ["email": .string(email), "name": .string(name)]
        if let userId { user.appendUnique("external_id", .string(userId)) }
        // The doc's option passes the flag only as true; sending false could un-verify users.
        if verified { user.appendUnique("verified", true) }
        if let phone = text(traits["phone"]) { user.appendUnique("phone", .string(phone)) }
        if let timeZone = text(traits["timezone"]) ?? text(traits["time_zone"]) { user.appendUnique("time_zone", .string(timeZone)) }
        if let locale = text(traits["locale"]) { user.appendUnique("locale", .string(locale)) }
        if let localeId = traits["locale_id"].flatMap(integer) { user.appendUnique("locale_id", .int(localeId)) }
        let fields = customFields(traits, excluding: mappedUserTraits)
        if !fields.isEmpty { user.appendUnique("user_fields", .object(fields)) }
        return ["user": .object(user)]
    }

    /// `POST /api/v2/organizations/create_or_update.json`. `name` is left out when the group
    /// call has none (an update of a known organization keeps its name).
    static func organizationUpsert(groupId: String, traits: JSONObject) -> JSON {
        var organization: JSONObject = ["external_id": .string(groupId)]
        if let name = text(traits["name"]) { organization.appendUnique("name", .string(name)) }
        if let url = text(traits["url"]) ?? text(traits["website"]), let domain = domain(ofURL: url) {
            organization.appendUnique("domain_names", [.string(domain)])
        }
        let fields = customFields(traits, excluding: mappedOrganizationTraits)
        if !fields.isEmpty { organization.appendUnique("organization_fields", .object(fields)) }
        return ["organization": .object(organization)]
    }

    /// `POST /api/v2/organization_memberships.json`.
    static func membership(userId: JSON, organizationId: JSON) -> JSON {
        ["organization_membership": ["user_id": userId, "organization_id": organizationId]]
    }

    /// Zendesk custom field values are scalars: containers are sent as compact JSON text;
    /// null is kept, since it clears a field.
    static func customFields(_ traits: JSONObject, excluding mapped: Set<String>) -> JSONObject {
        var fields = JSONObject()
        for entry in traits where !mapped.contains(entry.key) {
            fields.appendUnique(entry.key, entry.value.isContainer ? .string(JSONWriter.string(entry.value)) : entry.value)
        }
        return fields
    }

    /// The host of a URL as Zendesk wants a domain name: no scheme, port, path or `www.`
    /// (`https://www.lakers.com/team` → `lakers.com`), so users' email domains match it.
    static func domain(ofURL url: String) -> String? {
        var rest = Substring(url.lowercased())
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        rest = rest.prefix(while: { $0 != "/" && $0 != "?" && $0 != "#" })
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        if let colon = rest.firstIndex(of: ":") { rest = rest[..<colon] }
        if rest.hasPrefix("www.") { rest = rest.dropFirst(4) }
        guard !rest.isEmpty, rest.contains("."), !rest.contains(where: { $0.isWhitespace }) else { return nil }
        return String(rest)
    }

    static func text(_ value: JSON?) -> String? {
        guard let text = value?.scalarText.map(FastText.trimmed), !text.isEmpty else { return nil }
        return text
    }

    /// Zendesk's `locale_id` is an integer; SDKs often send it as text ("1").
    static func integer(_ value: JSON) -> Int64? {
        switch value {
        case .int(let number): return number
        case .double(let number) where number.rounded() == number && abs(number) < 9e15: return Int64(number)
        case .string(let text): return Int64(FastText.trimmed(text))
        default: return nil
        }
    }
}

/// Why a call is not sent, carried through `Result`.
struct SkipReason: Error, Hashable {
    let text: String
    init(_ text: String) { self.text = text }
}
