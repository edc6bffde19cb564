import SluiceSpec
import Testing
@testable import SluiceDestinations

@Suite struct SettingTextTests {
    @Test func emptyTextClearsEveryKindOfField() {
        for kind in [SettingField.Kind.integer, .bool, .text, .secret, .choice(["a"])] {
            #expect(SettingText.parse("  ", as: kind) == .null, "\(kind)")
        }
        #expect(SettingText.parse("", as: .list) == .array([]))
    }

    @Test func typedValuesBecomeTheirJSON() {
        #expect(SettingText.parse("100", as: .integer) == .int(100))
        #expect(SettingText.parse("ten", as: .integer) == .string("ten"), "left for validation to name")
        #expect(SettingText.parse("yes", as: .bool) == .bool(true))
        #expect(SettingText.parse("a, b", as: .list) == .array(["a", "b"]))
        #expect(SettingText.parse("x=drop, y=flatten", as: .map(choices: [])) == .object(["x": "drop", "y": "flatten"]))
    }
}
