import SluiceSpec
import Testing

@Suite struct UTF8ValidationTests {
    func valid(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBufferPointer(UTF8Validation.isValid) }

    @Test(arguments: [
        [0x61, 0x62], [0xC3, 0xA9], [0xE2, 0x82, 0xAC], [0xF0, 0x9F, 0x98, 0x80], [0xED, 0x9F, 0xBF], [0xF4, 0x8F, 0xBF, 0xBF], [],
    ] as [[UInt8]])
    func acceptsWellFormedText(bytes: [UInt8]) {
        #expect(valid(bytes))
    }

    @Test(arguments: [
        [0xC0, 0xAF], [0xC1, 0xBF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF0, 0x80, 0x80, 0xAF], [0xF4, 0x90, 0x80, 0x80],
        [0xF5, 0x80, 0x80, 0x80], [0xFF], [0x80], [0xC3], [0xE2, 0x82], [0xE2, 0x28, 0xA1], [0x61, 0xF0, 0x9F, 0x98],
    ] as [[UInt8]])
    func rejectsOverlongSurrogateTruncatedAndStrayBytes(bytes: [UInt8]) {
        #expect(!valid(bytes))
    }

    /// Agrees with the standard library on every short sequence drawn from the bytes that decide validity.
    @Test func agreesWithTheStandardLibrary() {
        let interesting: [UInt8] = [0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xE1, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF]
        var disagreements: [[UInt8]] = []
        func check(_ bytes: [UInt8]) {
            if valid(bytes) != (String(validating: bytes, as: UTF8.self) != nil) { disagreements.append(bytes) }
        }
        for a in interesting {
            check([a])
            for b in interesting {
                check([a, b])
                for c in interesting {
                    check([a, b, c])
                    for d in interesting { check([a, b, c, d]) }
                }
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
    }

    @Test func theParserStillRejectsMalformedStrings() throws {
        let plain: [UInt8] = Array(#"{"a":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        let escaped: [UInt8] = Array(#"{"a":"\n"#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(plain) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse(escaped) }
        #expect(try JSONParser.parse(Array(#"{"a":"caf\#u{E9} \u00e9"}"#.utf8)) == ["a": "café é"])
    }
}
