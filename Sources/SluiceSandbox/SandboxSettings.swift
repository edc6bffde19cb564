import SluiceSpec

extension Sandbox {
    /// Each destination's settings (in Sluice's settings-file form) that reach this sandbox with
    /// the credentials it accepts; the demo, the benchmarks and the tests all start from these.
    public func destinationSettings() -> [String: JSONObject] {
        let credentials = credentials
        return [
            "helpscout": ["enabled": true, "apiKey": .string(credentials.helpScoutAPIKey), "baseURL": .string(baseURL(for: .helpscout))],
            "zendesk": ["enabled": true, "email": .string(credentials.zendeskEmail), "password": .string(credentials.zendeskPassword),
                        "subdomain": "sandbox", "baseURL": .string(baseURL(for: .zendesk))],
            "clientsuccess": ["enabled": true, "apiKey": .string(credentials.clientSuccessAPIKey),
                              "projectId": .string(credentials.clientSuccessProjectId), "baseURL": .string(baseURL(for: .clientsuccess))],
            "intercom": ["enabled": true, "apiKey": .string(credentials.intercomAccessToken), "appId": "sandbox1",
                         "baseURL": .string(baseURL(for: .intercom))],
        ]
    }
}
