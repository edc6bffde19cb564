import SluiceDestinations
import SluiceSpec
import Testing

@Suite struct MaskedSecretsTests {
    let key = "4ad6ce80fc1d441324cfb11cdf8d3ade8fc7e8fd"

    @Test func reimportingAMaskedExportKeepsTheRealSecret() throws {
        let current = try SettingsFile(json: ["intercom": ["enabled": true, "apiKey": .string(key), "appId": "9iefb489"]])
        let exported = current.json(revealSecrets: false)
        #expect(exported["intercom"]?["apiKey"] == "••••e8fd")
        let restored = SettingsFile.restoringMaskedSecrets(in: exported, from: current)
        let reimported = try SettingsFile(json: restored)
        #expect(reimported.intercom?.json(revealSecrets: true)["apiKey"] == .string(key))
    }

    @Test func aNewSecretOrAForeignMaskIsLeftAlone() throws {
        let current = try SettingsFile(json: ["intercom": ["enabled": true, "apiKey": .string(key), "appId": "9iefb489"]])
        let other: JSON = ["intercom": ["enabled": true, "apiKey": "••••0000", "appId": "9iefb489"]]
        #expect(SettingsFile.restoringMaskedSecrets(in: other, from: current)["intercom"]?["apiKey"] == "••••0000")
    }
}
