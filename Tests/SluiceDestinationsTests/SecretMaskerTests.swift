import SluiceDestinations
import SluiceSpec
import Testing

/// The masker every recorded exchange goes through: each form a secret can take in a request
/// is masked, and text without a secret comes back exactly as it was.
@Suite struct SecretMaskerTests {
    let key = Secret("19a568052a40916806975825946d1a0e39c721d6")

    @Test func masksTheRawSecretEveryTimeItOccurs() {
        let masker = SecretMasker([key])
        let text = "a=\(key.reveal())&b=\(key.reveal())"
        #expect(masker.mask(text) == "a=••••21d6&b=••••21d6")
    }

    @Test func masksThePercentEncodedAndJSONEscapedForms() {
        let secret = Secret("p@ss/w\"rd+1234567")
        let masker = SecretMasker([secret])
        #expect(masker.mask("password=p%40ss%2Fw%22rd%2B1234567") == "password=••••4567")
        #expect(masker.mask(#"{"password":"p@ss/w\"rd+1234567"}"#) == #"{"password":"••••4567"}"#)
        #expect(masker.mask("raw p@ss/w\"rd+1234567 here") == "raw ••••4567 here")
    }

    @Test func textWithoutASecretIsUnchanged() {
        let masker = SecretMasker([key, Secret("short")])
        for text in ["", "plain text", #"{"a":[1,2,{"b":"ünïcødé 🌊"}]}"#, String(key.reveal().dropLast())] {
            #expect(masker.mask(text) == text)
        }
    }

    @Test func noSecretsMasksNothingAndEmptySecretsAreIgnored() {
        #expect(SecretMasker([]).isEmpty)
        #expect(SecretMasker([Secret("")]).isEmpty)
        #expect(SecretMasker([Secret("")]).mask("anything") == "anything")
    }

    @Test func masksInsideJSONStringsButNotKeys() {
        let masker = SecretMasker([key])
        let json: JSON = ["token": .string("Bearer " + key.reveal()), "list": [.string(key.reveal()), 3]]
        #expect(masker.mask(json) == ["token": "Bearer ••••21d6", "list": ["••••21d6", 3]])
    }

    @Test func redactedRequestsUseTheSameMasks() {
        let request = HTTPRequest(.POST, "https://usage.example/collector?api_key=" + key.reveal(),
                                  headers: ["Authorization": "Bearer " + key.reveal(), "X-Echo": key.reveal()],
                                  body: .json(["note": .string("key " + key.reveal())]), secrets: [key])
        let redacted = request.redacted()
        #expect(redacted.url == "https://usage.example/collector?api_key=••••21d6")
        #expect(redacted.headers["Authorization"] == "Bearer ••••21d6")
        #expect(redacted.headers["X-Echo"] == "••••21d6")
        #expect(redacted.jsonBody == ["note": "key ••••21d6"])
        #expect(redacted.secrets.isEmpty)
    }
}

@Suite struct CredentialMaskingBodyTests {
    @Test func credentialKeysAreMaskedWhateverTheirCase() {
        let body = #"{"ACCESS_TOKEN":"abcdefghijklmnop1234","Password":"hunter2hunter2","name":"Ada"}"#
        #expect(CredentialMasking.maskBody(body) == #"{"ACCESS_TOKEN":"••••1234","Password":"••••ter2","name":"Ada"}"#)
    }

    @Test func keysWithUnderscoresAreFoundToo() {
        #expect(CredentialMasking.maskBody(#"{"api_key":"abcdefghijklmnop9876"}"#) == #"{"api_key":"••••9876"}"#)
        #expect(CredentialMasking.maskBody(#"{"API_KEY":"abcdefghijklmnop9876"}"#) == #"{"API_KEY":"••••9876"}"#)
    }

    @Test func aBodyNamingNoCredentialIsReturnedUnparsed() {
        let body = #"{"type":"contact", "id":"c1"}"#  // the odd spacing would not survive a parse and rewrite
        #expect(CredentialMasking.maskBody(body) == body)
        #expect(CredentialMasking.maskBody("not json, token=abc") == "not json, token=abc")
    }
}

@Suite struct CredentialNameTests {
    @Test(arguments: ["Authorization", "X-Api-Token", "client_secret", "PASSWORD", "api_key", "ApiKey", "Set-Cookie", "cookie", "refresh_token"])
    func credentialNamesAreFoundIgnoringCase(name: String) {
        #expect(CredentialMasking.isCredentialName(name))
    }

    @Test(arguments: ["Content-Type", "api_keys", "cookies-policy", "Location", "X-RateLimit-Remaining", "", "authorisation"])
    func otherNamesAreNot(name: String) {
        #expect(!CredentialMasking.isCredentialName(name))
    }
}
