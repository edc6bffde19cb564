import Foundation
import SluiceSpec
import Testing

@Suite struct JSONParsingTests {
    @Test func roundTripsNumbersStringsAndKeyOrder() throws {
        let text = #"{"b":1,"a":2.5,"n":null,"t":true,"f":false,"s":"héllo ✓ 🚀","arr":[1,-2,3.0,1e-7],"o":{"z":{}}}"#
        let value = try JSONParser.parse(text)
        #expect(JSONWriter.string(value) == #"{"b":1,"a":2.5,"n":null,"t":true,"f":false,"s":"héllo ✓ 🚀","arr":[1,-2,3.0,1e-07],"o":{"z":{}}}"#)
        #expect(value["b"] == .int(1))
        #expect(value["a"] == .double(2.5))
        #expect(value["arr"]?.arrayValue?[2] == .double(3.0))
    }

    @Test func integersStayIntegersUpToInt64() throws {
        #expect(try JSONParser.parse("9223372036854775807") == .int(.max))
        #expect(try JSONParser.parse("-9223372036854775808") == .int(.min))
        #expect(try JSONParser.parse("9223372036854775808") == .double(9223372036854775808))
    }

    @Test func escapesDecodeAndReencode() throws {
        let value = try JSONParser.parse(#""a\"b\\c\/d\n\t\u00e9\ud83d\ude80\u0001""#)
        #expect(value == .string("a\"b\\c/d\n\té🚀\u{01}"))
        #expect(JSONWriter.string(value) == #""a\"b\\c/d\n\té🚀\u0001""#)
    }

    @Test(arguments: [
        ("", "empty"),
        ("{", "ends unexpectedly"),
        ("{\"a\":1,}", "unexpected '}'"),
        ("[1 2]", "unexpected '2'"),
        ("01", "unexpected data after"),
        ("1e400", "too large"),
        ("-1e400", "too large"),
        ("\"\\x\"", "invalid escape"),
        ("\"\\ud800\"", "invalid escape"),
        ("\"a\u{01}b\"", "control character"),
        ("tru", "ends unexpectedly"),
        ("1.", "malformed number"),
        ("{\"a\" 1}", "unexpected '1'"),
    ])
    func rejectsMalformedInputWithAPreciseMessage(input: String, fragment: String) {
        #expect {
            _ = try JSONParser.parse(input)
        } throws: { error in
            (error as? JSONParseError)?.description.contains(fragment) == true
        }
    }

    @Test func rejectsInvalidUTF8() {
        let bytes: [UInt8] = [0x22, 0xC3, 0x28, 0x22]
        #expect(throws: JSONParseError(reason: .invalidUTF8, offset: 1)) { try JSONParser.parse(bytes) }
    }

    @Test func boundsNestingDepthWithoutRecursingIntoHostileInput() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect((try? JSONParser.parse(ok)) != nil)
    }

    @Test func duplicateKeysKeepTheLastValue() throws {
        #expect(try JSONParser.parse(#"{"a":1,"a":2}"#) == ["a": 2])
    }

    @Test func objectEqualityIgnoresKeyOrder() throws {
        #expect(try JSONParser.parse(#"{"a":1,"b":2}"#) == JSONParser.parse(#"{"b":2,"a":1}"#))
    }

    @Test func prettyPrintsNestedValues() {
        let value: JSON = ["a": [1, ["b": "c"]], "e": [:]]
        #expect(JSONWriter.pretty(value) == """
            {
              "a": [
                1,
                {
                  "b": "c"
                }
              ],
              "e": {}
            }
            """)
    }
}
