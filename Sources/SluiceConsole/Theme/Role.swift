/// What a piece of text means on screen. Widgets paint with roles; a theme decides what each
/// role looks like, so the same screen renders in colour, in 8 colours or in monochrome.
public enum Role: String, CaseIterable, Sendable, Hashable {
    case text
    case dim
    case title
    case border
    case borderFocus = "border.focus"
    case header
    case selection
    case tab
    case tabActive = "tab.active"
    case key
    case status
    case good
    case warn
    case bad
    case disabled
    case accent
    case sparkline
    case gaugeFill = "gauge.fill"
    case gaugeEmpty = "gauge.empty"
    case jsonKey = "json.key"
    case jsonString = "json.string"
    case jsonNumber = "json.number"
    case jsonLiteral = "json.literal"
    case secret
    case error
    case input
}
