import SluiceSpec

/// What an identify says about a Help Scout customer, read from the traits once, and the pure
/// functions that turn it into Inbox API 2.0 request bodies.
struct HelpScoutCustomer: Sendable, Hashable {
    /// The email the customer is looked up by; always `emails.first`.
    let email: String
    /// Customer-entity fields, in the API's order: firstName, lastName, jobTitle, organization.
    var core = JSONObject()
    var emails: [String] = []
    var phones: [String] = []
    var websites: [String] = []
    /// `{city, state, postalCode, country, lines}`, only the keys the traits give.
    var address: JSONObject?
    /// Property slug → value, in trait order.
    var properties = JSONObject()
    /// Facts worth showing in the inspector (a shortened name, a trait that made no slug).
    var notes: [String] = []

    /// Help Scout limits first and last names to 40 characters.
    static let nameLimit = 40

    /// Traits with a place in the customer record; every other trait becomes a property.
    static let mappedTraits: Set<String> = [
        "email", "firstName", "first_name", "lastName", "last_name", "name", "phone",
        "company", "title", "position", "address", "website",
    ]

    /// The fields `PUT /v2/customers/{id}` overwrites. A field missing from that request is
    /// cleared, so an update carries the customer's current values for the fields it does not set.
    static let overwrittenFields = [
        "firstName", "lastName", "photoUrl", "photoType", "jobTitle", "location",
        "background", "age", "gender", "organization", "organizationId",
    ]

    /// The email from `userId` when it is one, else from `traits.email`.
    static func email(userId: String?, traits: JSONObject) -> String? {
        if let userId, EmailAddress.isValid(userId) { return userId }
        if let traitEmail = traits["email"]?.stringValue.map(FastText.trimmed), EmailAddress.isValid(traitEmail) {
            return traitEmail
        }
        return nil
    }

    init(email: String, traits: JSONObject) {
        self.email = email
        emails = [email]
        if let traitEmail = traits["email"]?.stringValue.map(FastText.trimmed),
           EmailAddress.isValid(traitEmail), traitEmail.lowercased() != email.lowercased() {
            emails.append(traitEmail)
        }
        readNames(traits)
        if let organization = Self.companyName(traits["company"]) { core.appendUnique("organization", .string(organization)) }
        if let jobTitle = Self.text(traits["title"]) ?? Self.text(traits["position"]) {
            core.appendUnique("jobTitle", .string(jobTitle))
        }
        if let phone = Self.text(traits["phone"]) { phones = [phone] }
        if let website = Self.text(traits["website"]) { websites = [website] }
        address = Self.address(traits["address"])
        readProperties(traits)
        core = Self.ordered(core, by: Self.overwrittenFields)
    }

    // MARK: - Request bodies

    /// `POST /v2/customers`.
    var createBody: JSON {
        var body = core
        body.appendUnique("emails", .array(emails.map(Self.emailBody)))
        if !phones.isEmpty { body.appendUnique("phones", .array(phones.map(Self.phoneBody))) }
        if !websites.isEmpty { body.appendUnique("websites", .array(websites.map(Self.websiteBody))) }
        if let address { body.appendUnique("address", .object(address)) }
        if !properties.isEmpty {
            body.appendUnique("properties", .array(properties.map { ["slug": .string($0.key), "value": $0.value] }))
        }
        return .object(body)
    }

    /// `PUT /v2/customers/{id}`: the current customer's overwritable fields with the traits'
    /// values on top; nil when that changes nothing, which saves a rate-limited write.
    func overwriteBody(current: JSONObject) -> JSON? {
        guard !core.isEmpty else { return nil }
        var body = JSONObject()
        var changed = false
        for field in Self.overwrittenFields {
            // A new organization name would otherwise stay tied to the old organization record.
            if field == "organizationId", core["organization"] != nil, current["organization"] != core["organization"] {
                continue
            }
            let existing = current[field].flatMap { $0.isNull ? nil : $0 }
            if let value = core[field] {
                body.appendUnique(field, value)
                if value != existing { changed = true }
            } else if let existing {
                body.appendUnique(field, existing)
            }
        }
        return changed ? .object(body) : nil
    }

    /// Emails the customer lacks, compared case-insensitively. The lookup email is never one:
    /// the customer was found by it, or remembered for it.
    func emailsToAdd(current: JSONObject) -> [String] {
        let known = Set(Self.embedded(current, "emails").compactMap { $0["value"]?.stringValue?.lowercased() })
        return emails.dropFirst().filter { !known.contains($0.lowercased()) }
    }

    /// Phones the customer lacks, compared by their digits so formatting differences match.
    func phonesToAdd(current: JSONObject) -> [String] {
        let known = Set(Self.embedded(current, "phones").compactMap { $0["value"]?.stringValue.map(Self.phoneKey) })
        return phones.filter { !known.contains(Self.phoneKey($0)) }
    }

    /// Websites the customer lacks, ignoring case and a trailing slash.
    func websitesToAdd(current: JSONObject) -> [String] {
        let known = Set(Self.embedded(current, "websites").compactMap { $0["value"]?.stringValue.map(Self.websiteKey) })
        return websites.filter { !known.contains(Self.websiteKey($0)) }
    }

    /// The address to put, or nil when there is none or the customer already has those values.
    func addressToPut(current: JSONObject) -> JSON? {
        guard let address else { return nil }
        let existing = current["_embedded"]?["address"]?.objectValue ?? current["address"]?.objectValue
        if let existing, address.allSatisfy({ existing[$0.key] == $0.value }) { return nil }
        return .object(address)
    }

    /// `PATCH /v2/customers/{id}/properties`: one replace operation per property.
    var propertiesPatch: JSON? {
        guard !properties.isEmpty else { return nil }
        return .array(properties.map { ["op": "replace", "path": .string("/" + $0.key), "value": $0.value] })
    }

    static func phoneBody(_ phone: String) -> JSON { ["type": "work", "value": .string(phone)] }
    static func emailBody(_ email: String) -> JSON { ["type": "work", "value": .string(email)] }
    static func websiteBody(_ website: String) -> JSON { ["value": .string(website)] }

    // MARK: - Trait readers

    private mutating func readNames(_ traits: JSONObject) {
        var first = Self.text(traits["firstName"]) ?? Self.text(traits["first_name"])
        var last = Self.text(traits["lastName"]) ?? Self.text(traits["last_name"])
        if first == nil || last == nil, let name = Self.text(traits["name"]) {
            let words = name.split(whereSeparator: { $0.isWhitespace })
            if first == nil, let head = words.first { first = String(head) }
            if last == nil, words.count > 1 { last = words.dropFirst().joined(separator: " ") }
        }
        for (field, value) in [("firstName", first), ("lastName", last)] {
            guard let value else { continue }
            if value.count > Self.nameLimit {
                notes.append("\(field) shortened to Help Scout's \(Self.nameLimit)-character limit")
                core.appendUnique(field, .string(String(value.prefix(Self.nameLimit))))
            } else {
                core.appendUnique(field, .string(value))
            }
        }
    }

    private mutating func readProperties(_ traits: JSONObject) {
        for entry in traits where !Self.mappedTraits.contains(entry.key) {
            let value: JSON
            switch entry.value {
            case .null: continue
            case .string, .int, .double: value = entry.value
            case .bool(let flag): value = .string(flag ? "true" : "false")
            case .array, .object: value = .string(JSONWriter.string(entry.value))
            }
            let slug = Self.propertySlug(entry.key)
            if slug.isEmpty {
                notes.append("trait '\(entry.key)' has no letters or digits to make a Help Scout property slug; not sent")
            } else if properties[slug] != nil {
                notes.append("trait '\(entry.key)' has the same property slug '\(slug)' as an earlier trait; not sent")
            } else {
                properties.appendUnique(slug, value)
            }
        }
    }

    /// A Help Scout property slug from a trait key: lowercase words joined by hyphens, split at
    /// camelCase humps and at every character that is not an ASCII letter or digit
    /// (`accountType`, `account_type` and `Account Type` all give `account-type`).
    static func propertySlug(_ key: String) -> String {
        var slug: [UInt8] = []
        slug.reserveCapacity(key.utf8.count + 4)
        var previous: UInt8 = 0
        for byte in key.utf8 {
            let isUpper = byte >= 0x41 && byte <= 0x5A
            let isLower = byte >= 0x61 && byte <= 0x7A
            let isDigit = byte >= 0x30 && byte <= 0x39
            if isUpper || isLower || isDigit {
                let previousIsLowerOrDigit = (previous >= 0x61 && previous <= 0x7A) || (previous >= 0x30 && previous <= 0x39)
                if isUpper, previousIsLowerOrDigit { slug.append(UInt8(ascii: "-")) }
                slug.append(isUpper ? byte + 32 : byte)
            } else if let last = slug.last, last != UInt8(ascii: "-") {
                slug.append(UInt8(ascii: "-"))
            }
            previous = byte
        }
        while slug.last == UInt8(ascii: "-") { slug.removeLast() }
        return String(decoding: slug, as: UTF8.self)
    }

    static func text(_ value: JSON?) -> String? {
        guard let text = value?.scalarText.map(FastText.trimmed), !text.isEmpty else { return nil }
        return text
    }

    /// `company` is a name, or (in the Segment spec) an object with a `name`.
    static func companyName(_ value: JSON?) -> String? {
        if case .object(let company)? = value { return text(company["name"]) }
        return text(value)
    }

    static func address(_ value: JSON?) -> JSONObject? {
        switch value {
        case .object(let traits)?:
            var address = JSONObject()
            if let city = text(traits["city"]) { address.appendUnique("city", .string(city)) }
            if let state = text(traits["state"]) { address.appendUnique("state", .string(state)) }
            if let postalCode = text(traits["postalCode"]) ?? text(traits["postal_code"]) {
                address.appendUnique("postalCode", .string(postalCode))
            }
            if let country = text(traits["country"]) { address.appendUnique("country", .string(country)) }
            if let street = text(traits["street"]) { address.appendUnique("lines", [.string(street)]) }
            return address.isEmpty ? nil : address
        case .string?:
            return text(value).map { ["lines": [.string($0)]] }
        default:
            return nil
        }
    }

    static func embedded(_ customer: JSONObject, _ name: String) -> [JSON] {
        customer["_embedded"]?[name]?.arrayValue ?? customer[name]?.arrayValue ?? []
    }

    static func phoneKey(_ phone: String) -> String {
        let digits = phone.filter(\.isNumber)
        return digits.isEmpty ? phone : digits
    }

    static func websiteKey(_ website: String) -> String {
        var key = website.lowercased()
        while key.hasSuffix("/") { key.removeLast() }
        return key
    }

    private static func ordered(_ object: JSONObject, by order: [String]) -> JSONObject {
        var result = JSONObject()
        for key in order { if let value = object[key] { result.appendUnique(key, value) } }
        return result
    }
}
