import SluiceSpec

/// Finds the Intercom contact a call is about: by `external_id` (the userId) first, then by
/// email. A search counts as a match only when it returns exactly one contact; two contacts with
/// one email are not guessed between.
enum IntercomContactLookup {
    struct Match: Equatable {
        let id: String
        let foundBy: String
    }

    static func find(userId: String?, email: String?, api: IntercomAPI, context: MappingContext) async throws -> Match? {
        if let userId, let id = try await search(field: "external_id", value: userId, api: api, context: context) {
            return Match(id: id, foundBy: "external_id")
        }
        if let email, let id = try await search(field: "email", value: email, api: api, context: context, excludingOtherExternalIdThan: userId) {
            return Match(id: id, foundBy: "email")
        }
        return nil
    }

    /// `POST /contacts/search` with a single equality clause.
    static func searchBody(field: String, value: String) -> JSONObject {
        ["query": ["field": .string(field), "operator": "=", "value": .string(value)]]
    }

    /// The one contact the search found. When searching by email on behalf of a userId, a contact
    /// that already carries a different external_id is another person sharing the address, not
    /// this user, so it does not count.
    private static func search(field: String, value: String, api: IntercomAPI, context: MappingContext,
                               excludingOtherExternalIdThan userId: String? = nil) async throws -> String? {
        let request = api.request(.POST, "/contacts/search", searchBody(field: field, value: value))
        let response = try await context.sendExpectingSuccess(request)
        return uniqueContactId(in: response.json, userId: userId)
    }

    static func uniqueContactId(in reply: JSON?, userId: String?) -> String? {
        guard let contacts = reply?["data"]?.arrayValue, contacts.count == 1 else { return nil }
        if let total = reply?["total_count"]?.numberValue, total != 1 { return nil }
        let contact = contacts[0]
        if let userId, let existing = contact["external_id"]?.scalarText, !existing.isEmpty, existing != userId { return nil }
        return contact["id"]?.scalarText
    }
}
