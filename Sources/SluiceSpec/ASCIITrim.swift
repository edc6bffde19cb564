extension Substring {
    /// Spaces and tabs off both ends, without Foundation's Unicode machinery: header values and
    /// names on hot paths, where only ASCII whitespace matters.
    public func trimmingASCIIWhitespace() -> String {
        let utf8 = self.utf8
        guard let first = utf8.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }),
              let last = utf8.lastIndex(where: { $0 != 0x20 && $0 != 0x09 })
        else { return "" }
        return String(self[first...last])
    }
}

extension String {
    /// Spaces and tabs off both ends (see `Substring.trimmingASCIIWhitespace()`).
    public func trimmingASCIIWhitespace() -> String { self[...].trimmingASCIIWhitespace() }
}
