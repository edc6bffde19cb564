import SluiceDestinations
import SluiceSpec

/// A line of text made of spans that each carry a role: JSON with coloured keys and values,
/// a header line with a highlighted status code.
public struct StyledLine: Sendable, Hashable {
    public var spans: [Span]

    public struct Span: Sendable, Hashable {
        public var text: String
        public var role: Role
    }

    public init(_ spans: [Span] = []) { self.spans = spans }
    public init(_ text: String, _ role: Role = .text) { spans = [Span(text: text, role: role)] }

    public mutating func append(_ text: String, _ role: Role = .text) { spans.append(Span(text: text, role: role)) }

    public var plain: String { spans.map(\.text).joined() }

    public func draw(on surface: Surface, row: Int, col: Int = 0) {
        var column = col
        for span in spans {
            column = surface.text(span.text, row: row, col: column, role: span.role)
            if column >= surface.width { break }
        }
    }
}

extension Surface {
    /// Draws `lines` from `offset`, one per row; returns how many lines fit.
    @discardableResult
    public func lines(_ lines: [StyledLine], offset: Int = 0, startRow: Int = 0) -> Int {
        let visible = max(0, height - startRow)
        let first = min(max(0, offset), max(0, lines.count - 1))
        for index in 0..<visible where first + index < lines.count {
            lines[first + index].draw(on: self, row: startRow + index)
        }
        return visible
    }
}

/// Pretty-printed JSON as styled lines, two-space indented, keys and value kinds in their own
/// roles. Text that is not JSON is shown as plain lines.
public enum JSONLines {
    public static func render(_ text: String, indent: String = "") -> [StyledLine] {
        if text.isEmpty { return [StyledLine(indent + "(empty)", .dim)] }
        guard let json = try? JSONParser.parse(text) else {
            return text.split(separator: "\n", omittingEmptySubsequences: false).map { StyledLine(indent + String($0)) }
        }
        return render(json, indent: indent)
    }

    public static func render(_ json: JSON, indent: String = "") -> [StyledLine] {
        var lines: [StyledLine] = []
        var current = StyledLine(indent)
        emit(json, depth: 0, indent: indent, into: &lines, current: &current)
        lines.append(current)
        return lines
    }

    private static func emit(_ json: JSON, depth: Int, indent: String, into lines: inout [StyledLine], current: inout StyledLine) {
        let pad = indent + String(repeating: "  ", count: depth + 1)
        let closePad = indent + String(repeating: "  ", count: depth)
        switch json {
        case .object(let object):
            if object.isEmpty { current.append("{}"); return }
            current.append("{")
            for (index, entry) in object.enumerated() {
                lines.append(current)
                current = StyledLine(pad)
                current.append(JSONWriter.string(.string(entry.key)), .jsonKey)
                current.append(": ")
                if CredentialMasking.isCredentialName(entry.key), case .string(let value) = entry.value {
                    // Never drawn in clear, even if a record predates the engine's masking.
                    current.append(JSONWriter.string(.string(value.contains("••••") ? value : Secret(value).masked)), .secret)
                } else {
                    emit(entry.value, depth: depth + 1, indent: indent, into: &lines, current: &current)
                }
                if index < object.count - 1 { current.append(",") }
            }
            lines.append(current)
            current = StyledLine(closePad)
            current.append("}")
        case .array(let items):
            if items.isEmpty { current.append("[]"); return }
            current.append("[")
            for (index, item) in items.enumerated() {
                lines.append(current)
                current = StyledLine(pad)
                emit(item, depth: depth + 1, indent: indent, into: &lines, current: &current)
                if index < items.count - 1 { current.append(",") }
            }
            lines.append(current)
            current = StyledLine(closePad)
            current.append("]")
        case .string:
            current.append(JSONWriter.string(json), .jsonString)
        case .int, .double:
            current.append(JSONWriter.string(json), .jsonNumber)
        case .bool, .null:
            current.append(JSONWriter.string(json), .jsonLiteral)
        }
    }
}
