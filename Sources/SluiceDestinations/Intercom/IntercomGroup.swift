import SluiceSpec

extension Intercom {
    /// group: create or update the company (`company_id` = groupId), then attach the calling user.
    ///
    /// Company fields come from the call's own `traits` only: `Event.traits` would fill gaps from
    /// `context.traits`, which describe the user, and the user's email must not become a company
    /// attribute.
    static func group(_ event: Event, settings: IntercomSettings, context: MappingContext) async throws -> MappingOutcome {
        guard let groupId = event.groupId, !groupId.isEmpty else {
            return .skipped(reason: "Intercom needs a groupId to use as the company_id")
        }
        let traits = event["traits"]?.objectValue ?? JSONObject()
        let api = IntercomAPI(settings: settings)
        let company = IntercomCompanyBody.make(companyId: groupId, traits: traits, settings: settings)
        let reply = try await context.sendExpectingSuccess(api.request(.POST, "/companies", company.body))
        var notes = company.notes

        let userEmail = event.context["traits"]?["email"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        guard event.userId != nil || userEmail != nil else {
            return .delivered(notes: notes + ["company saved; no user attached: the call has no userId and no context.traits.email"])
        }
        guard let intercomId = IntercomReply.id(reply) else {
            return .delivered(notes: notes + ["company saved, but Intercom's reply had no id, so the user was not attached"])
        }
        guard let contact = try await IntercomContactLookup.find(userId: event.userId, email: userEmail, api: api, context: context) else {
            let who = event.userId.map { "userId \($0)" } ?? "email \(userEmail ?? "")"
            notes.append("company saved; user not attached: no single Intercom contact has \(who) (send an identify first)")
            return .delivered(notes: notes)
        }
        try await IntercomCompanyMembership.attach(contactId: contact.id, intercomCompanyId: intercomId, api: api, context: context)
        return .delivered(notes: notes)
    }
}
