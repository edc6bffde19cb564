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
        let clause = JSONObject([(key: "field", value: .string(field)), (key: "operator", value: "="), (key: "value", value: .string(value))])
        return JSONObject([(key: "query", value: .object(clause))])
    }

    /// The one contact the search found. When searching by email on behalf of a userId, a contact
    /// that already carries a different external_id is another person sharing the address, not
    /// this user, so it does not count.
    private static func search(field: String, value: String, api: IntercomAPI, context: MappingContext,
                               excludingOtherExternalIdThan userId: String? = nil) async throws -> String? {
        let request = api.request(.POST, "/contacts/search", searchBody(field: field, value: value))
        let response = try await context.sendExpectingSuccess(request)
        guard let reply = IntercomReplyReader.search(response.body) ?? searchReply(from: response.json) else {
            // Guessing "not found" here would create a duplicate contact.
            throw HTTPStepFailure(request: request, response: response)
        }
        return uniqueContactId(in: reply, userId: userId)
    }

    /// The same facts as `IntercomReplyReader.search`, from a fully parsed reply.
    static func searchReply(from json: JSON?) -> IntercomReplyReader.SearchReply? {
        guard let contacts = json?["data"]?.arrayValue else { return nil }
        let total = json?["total_count"]
        return IntercomReplyReader.SearchReply(
            count: contacts.count, firstId: contacts.first?["id"]?.scalarText,
            firstExternalId: contacts.first?["external_id"]?.scalarText,
            totalCount: total?.numberValue.flatMap { Int64(exactly: $0) })
    }

    static func uniqueContactId(in reply: IntercomReplyReader.SearchReply, userId: String?) -> String? {
        guard reply.count == 1, reply.totalCount ?? 1 == 1, let id = reply.firstId else { return nil }
        if let userId, let existing = reply.firstExternalId, !existing.isEmpty, existing != userId { return nil }
        return id
    }
}
