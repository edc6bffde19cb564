/// Unix seconds from the usual ISO-8601 form of a date (`2023-11-14T09:30:00.000Z`, with an
/// offset, or date only), read straight from the UTF-8 bytes.
///
/// Every identify and group carries a `createdAt`, and `Timestamp.parse` first trims the text
/// through Foundation, which cost more than the rest of an identify mapping. This reads the one
/// common form without allocating and returns nil for anything else, so callers fall back to
/// `Timestamp` for JavaScript date strings, epoch digits and odd spacing. Tests check that both
/// agree on every form this accepts.
enum ISO8601Seconds {
    static func parse(_ text: String) -> Int64? {
        if let seconds = text.utf8.withContiguousStorageIfAvailable({ parse(bytes: $0) }) { return seconds }
        return nil
    }

    static func parse(bytes b: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        func digits(_ count: Int) -> Int64? { readDigits(b, &i, count) }
        func take(_ byte: UInt8) -> Bool {
            guard i < b.count, b[i] == byte else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), take(UInt8(ascii: "-")), let month = digits(2), take(UInt8(ascii: "-")), let day = digits(2),
              (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day)
        else { return nil }
        var clock: Int64 = 0
        var offset: Int64 = 0
        if i < b.count {
            guard take(UInt8(ascii: "T")) || take(UInt8(ascii: "t")) || take(UInt8(ascii: " ")),
                  let hour = digits(2), take(UInt8(ascii: ":")), let minute = digits(2)
            else { return nil }
            var second: Int64 = 0
            if take(UInt8(ascii: ":")) {
                guard let s = digits(2) else { return nil }
                second = s
                if take(UInt8(ascii: ".")) || take(UInt8(ascii: ",")) {
                    let start = i
                    while i < b.count, b[i] &- UInt8(ascii: "0") < 10 { i += 1 }
                    guard i > start else { return nil }
                }
            }
            guard hour < 24, minute < 60, second < 61 else { return nil }
            clock = hour * 3600 + minute * 60 + second
            if take(UInt8(ascii: "Z")) || take(UInt8(ascii: "z")) {
            } else if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                let sign: Int64 = b[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let hours = digits(2) else { return nil }
                _ = take(UInt8(ascii: ":"))
                let minutes = i < b.count ? digits(2) : 0
                guard let minutes, hours < 24, minutes < 60 else { return nil }
                offset = sign * (hours * 3600 + minutes * 60)
            }
        }
        guard i == b.count else { return nil }
        return daysFromCivil(year: year, month: month, day: day) * 86_400 + clock - offset
    }

    @inline(__always)
    private static func readDigits(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ count: Int) -> Int64? {
        guard i + count <= b.count else { return nil }
        var value: Int64 = 0
        for k in i..<(i + count) {
            let digit = b[k] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int64(digit)
        }
        i += count
        return value
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (the era-based civil-calendar method).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
