import SluiceSpec

/// The body of `POST /companies`, which creates the company or updates the one with the same
/// `company_id`. Shared by group and by identify's `company` trait.
enum IntercomCompanyBody {
    /// Traits with a place of their own in the body (or, like `remove`, an instruction).
    static let specialTraits: Set<String> = [
        "id", "company_id", "name", "plan", "monthlySpend", "monthly_spend", "createdAt", "created_at", "remove",
    ]

    static func make(companyId: String, traits: JSONObject, settings: IntercomSettings) -> (body: JSONObject, notes: [String]) {
        var body = JSONObject()
        var notes: [String] = []
        body.appendUnique("company_id", .string(companyId))
        if let name = IntercomValues.text(traits["name"]) { body.appendUnique("name", .string(name)) }
        if let plan = IntercomValues.text(traits["plan"]) { body.appendUnique("plan", .string(plan)) }
        if let spend = traits["monthlySpend"] ?? traits["monthly_spend"], !spend.isNull {
            if let amount = IntercomValues.wholeAmount(spend) {
                body.appendUnique("monthly_spend", .int(amount))
            } else {
                notes.append("monthlySpend \(spend.description.prefix(40)) is not a number; monthly_spend was not sent")
            }
        }
        if let createdAt = traits["createdAt"] ?? traits["created_at"], !createdAt.isNull {
            if let seconds = IntercomValues.unixSeconds(createdAt) {
                body.appendUnique("remote_created_at", .int(seconds))
            } else {
                notes.append("createdAt \(createdAt.description.prefix(40)) is not a date; remote_created_at was not sent")
            }
        }
        var writer = IntercomFlatWriter(settings: settings, richLinks: false, expectedCount: traits.count)
        for trait in traits where !specialTraits.contains(trait.key) {
            writer.append(trait.key, trait.value)
        }
        let attributes = writer.finish()
        if !attributes.isEmpty { body.appendUnique("custom_attributes", .object(attributes)) }
        return (body, notes)
    }
}

/// A stable `company_id` for a company given only by name, as the doc requires ("an id is
/// required to associate the user to the company").
///
/// The id is FNV-1a 64-bit over the name's UTF-8 bytes, exactly as given (no trimming or case
/// folding), written as 16 lowercase hex digits. It must never change: a different id for the
/// same name would create a second company in Intercom.
public enum IntercomCompanyID {
    public static func forName(_ name: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// identify's `company` trait: joins the contact to the company (creating or updating it first),
/// or with `remove: true` detaches the contact from it.
enum IntercomCompanyMembership {
    static func apply(_ company: JSON, contactId: String?, settings: IntercomSettings, api: IntercomAPI,
                      context: MappingContext) async throws -> [String] {
        let traits: JSONObject
        switch company {
        case .string(let name) where !name.isEmpty: traits = ["name": .string(name)]
        case .object(let object): traits = object
        default: return ["company \(company.description.prefix(40)) ignored: give a name or an object with an id or name"]
        }
        let companyId = IntercomValues.text(traits["id"]) ?? IntercomValues.text(traits["company_id"])
            ?? IntercomValues.text(traits["name"]).map(IntercomCompanyID.forName)
        guard let companyId else {
            return ["company ignored: Intercom needs its id or name to find the company"]
        }
        guard let contactId else {
            return ["company \(companyId) not applied: Intercom's reply to the contact create had no id"]
        }
        if traits["remove"]?.boolValue == true {
            return try await detach(contactId: contactId, companyId: companyId, api: api, context: context)
        }
        let company = IntercomCompanyBody.make(companyId: companyId, traits: traits, settings: settings)
        let reply = try await context.sendExpectingSuccess(api.request(.POST, "/companies", company.body))
        guard let intercomId = IntercomReply.id(reply) else {
            return company.notes + ["company \(companyId) saved, but Intercom's reply had no id, so the contact was not attached"]
        }
        try await attach(contactId: contactId, intercomCompanyId: intercomId, api: api, context: context)
        return company.notes
    }

    /// `POST /contacts/{id}/companies` with Intercom's own id of the company.
    static func attach(contactId: String, intercomCompanyId: String, api: IntercomAPI, context: MappingContext) async throws {
        let path = "/contacts/" + IntercomAPI.pathSegment(contactId) + "/companies"
        try await context.sendExpectingSuccess(api.request(.POST, path, ["id": .string(intercomCompanyId)]))
    }

    /// The detach path takes Intercom's id of the company, not ours, so the company is looked
    /// up by `company_id` first. An unknown company means there is nothing to leave.
    static func detach(contactId: String, companyId: String, api: IntercomAPI, context: MappingContext) async throws -> [String] {
        let lookup = api.request(.GET, "/companies?company_id=" + URLEncoding.component(companyId))
        let found = try await context.send(lookup)
        if found.status == 404 {
            return ["company \(companyId) is not in Intercom; nothing to remove the contact from"]
        }
        guard found.isSuccess else { throw HTTPStepFailure(request: lookup, response: found) }
        guard let intercomId = IntercomReply.id(found) else {
            return ["company \(companyId) lookup returned no id; the contact was not removed from it"]
        }
        let path = "/contacts/" + IntercomAPI.pathSegment(contactId) + "/companies/" + IntercomAPI.pathSegment(intercomId)
        let removal = api.request(.DELETE, path)
        let removed = try await context.send(removal)
        if removed.status == 404 {
            return ["the contact was not in company \(companyId); nothing to remove"]
        }
        guard removed.isSuccess else { throw HTTPStepFailure(request: removal, response: removed) }
        return []
    }
}
