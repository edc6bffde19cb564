import Foundation

/// Parses every date form that SDKs and traits use in practice into a `Date`:
/// ISO-8601 (with or without fractional seconds, `Z` or an offset, date only),
/// JavaScript's `Date.toString()` ("Thu Mar 24 2016 17:44:51 GMT+0000 (UTC)"),
/// `Date.toUTCString()` ("Thu, 24 Mar 2016 17:44:51 GMT"), and epoch milliseconds or seconds
/// given as numbers or digit strings.
public enum Timestamp {
    /// Epoch numbers at or above this are milliseconds: 10^11 s is the year 5138, while 10^11 ms
    /// is 1973, so no realistic date is ambiguous.
    static let millisecondsThreshold: Double = 100_000_000_000

    public static func parse(_ value: JSON) -> Date? {
        switch value {
        case .int(let i): return fromEpoch(Double(i))
        case .double(let d): return fromEpoch(d)
        case .string(let s): return parse(s)
        default: return nil
        }
    }

    public static func parse(_ text: String) -> Date? {
        // Fast path: the ISO-8601 that SDKs send, without Foundation string work.
        if let first = text.utf8.first, isDigit(first), text.utf8.count >= 10, text.utf8.count <= 40 {
            var copy = text
            if let date = copy.withUTF8({ parseISO8601($0) }) { return date }
        }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return nil }
        let bytes = Array(trimmed.utf8)
        if bytes.allSatisfy({ isDigit($0) || $0 == UInt8(ascii: ".") }), let number = Double(trimmed) {
            return fromEpoch(number)
        }
        if let date = parseISO8601(bytes) { return date }
        return parseJavaScript(trimmed)
    }

    /// Unix seconds, the form Intercom and most APIs want.
    public static func unixSeconds(_ value: JSON) -> Int64? {
        guard let date = parse(value) else { return nil }
        return Int64(date.timeIntervalSince1970.rounded(.down))
    }

    /// ISO-8601 with milliseconds in UTC, the form Segment uses for `receivedAt`.
    public static func iso8601(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = millis.quotientAndRemainder(dividingBy: 1000)
        if seconds.remainder < 0 { seconds = (seconds.quotient - 1, seconds.remainder + 1000) }
        let (days, secondsOfDay) = floorDivide(seconds.quotient, 86_400)
        let (year, month, day) = civilFromDays(days)
        let hour = secondsOfDay / 3600, minute = secondsOfDay % 3600 / 60, second = secondsOfDay % 60
        func pad(_ n: Int64, _ width: Int) -> String {
            let s = String(n)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)).\(pad(seconds.remainder, 3))Z"
    }

    private static func fromEpoch(_ number: Double) -> Date? {
        guard number.isFinite, number >= 0 else { return nil }
        let seconds = number >= millisecondsThreshold ? number / 1000 : number
        guard seconds < 253_402_300_800 else { return nil }  // year 10000
        return Date(timeIntervalSince1970: seconds)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private static func parseISO8601<Bytes: RandomAccessCollection>(_ b: Bytes) -> Date? where Bytes.Element == UInt8, Bytes.Index == Int {
        var i = 0
        func digits(_ count: Int) -> Int64? {
            guard i + count <= b.count else { return nil }
            var value: Int64 = 0
            for k in 0..<count {
                guard isDigit(b[i + k]) else { return nil }
                value = value * 10 + Int64(b[i + k] - 0x30)
            }
            i += count
            return value
        }
        func take(_ byte: UInt8) -> Bool {
            guard i < b.count, b[i] == byte else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), take(UInt8(ascii: "-")), let month = digits(2), take(UInt8(ascii: "-")), let day = digits(2) else { return nil }
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day) else { return nil }
        var hour: Int64 = 0, minute: Int64 = 0, second: Int64 = 0
        var fraction: Double = 0
        var offsetSeconds: Int64 = 0
        if i < b.count {
            guard take(UInt8(ascii: "T")) || take(UInt8(ascii: "t")) || take(UInt8(ascii: " ")) else { return nil }
            guard let h = digits(2), take(UInt8(ascii: ":")), let m = digits(2) else { return nil }
            hour = h; minute = m
            if take(UInt8(ascii: ":")) {
                guard let s = digits(2) else { return nil }
                second = s
                if take(UInt8(ascii: ".")) || take(UInt8(ascii: ",")) {
                    let start = i
                    var scale = 0.1
                    while i < b.count, isDigit(b[i]) {
                        fraction += Double(b[i] - 0x30) * scale
                        scale /= 10
                        i += 1
                    }
                    if i == start { return nil }
                }
            }
            guard hour < 24, minute < 60, second < 61 else { return nil }
            if take(UInt8(ascii: "Z")) || take(UInt8(ascii: "z")) {
            } else if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                let sign: Int64 = b[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let oh = digits(2) else { return nil }
                _ = take(UInt8(ascii: ":"))
                let om = digits(2) ?? 0
                guard oh < 24, om < 60 else { return nil }
                offsetSeconds = sign * (oh * 3600 + om * 60)
            }
        }
        guard i == b.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let total = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(total) + fraction)
    }

    private static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// "Thu Mar 24 2016 17:44:51 GMT+0000 (UTC)" and "Thu, 24 Mar 2016 17:44:51 GMT".
    private static func parseJavaScript(_ text: String) -> Date? {
        var body = text
        if let paren = body.firstIndex(of: "(") { body = String(body[..<paren]) }
        let tokens = body.replacingOccurrences(of: ",", with: " ").split(separator: " ").map(String.init)
        var month: Int64?, day: Int64?, year: Int64?, time: [Int64]?
        var offsetSeconds: Int64 = 0
        for token in tokens {
            let lower = token.lowercased()
            if let m = monthNames.firstIndex(of: String(lower.prefix(3))), lower.count >= 3, lower.allSatisfy(\.isLetter) {
                month = Int64(m + 1)
            } else if token.contains(":") {
                let parts = token.split(separator: ":").map { Int64($0) }
                guard parts.count >= 2, parts.count <= 3, parts.allSatisfy({ $0 != nil }) else { return nil }
                time = parts.map { $0! }
            } else if lower.hasPrefix("gmt") || lower.hasPrefix("utc") || lower.hasPrefix("+") || lower.hasPrefix("-") {
                let rest = lower.hasPrefix("gmt") || lower.hasPrefix("utc") ? String(lower.dropFirst(3)) : lower
                if rest.isEmpty { continue }
                guard let sign = rest.first, sign == "+" || sign == "-" else { return nil }
                let digitsOnly = rest.dropFirst().replacingOccurrences(of: ":", with: "")
                guard digitsOnly.count == 4, let hhmm = Int64(digitsOnly) else { return nil }
                offsetSeconds = (sign == "-" ? -1 : 1) * (hhmm / 100 * 3600 + hhmm % 100 * 60)
            } else if let number = Int64(token) {
                if token.count == 4 { year = number } else if day == nil { day = number } else { return nil }
            } else if lower.allSatisfy(\.isLetter) {
                continue  // weekday
            } else {
                return nil
            }
        }
        guard let month, let day, let year, (1...daysIn(month: month, year: year)).contains(day) else { return nil }
        let clock = time ?? [0, 0, 0]
        let (h, m, s) = (clock[0], clock[1], clock.count > 2 ? clock[2] : 0)
        guard h < 24, m < 60, s < 61 else { return nil }
        let total = daysFromCivil(year: year, month: month, day: day) * 86_400 + h * 3600 + m * 60 + s - offsetSeconds
        return Date(timeIntervalSince1970: Double(total))
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let q = a / b, r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }

    // Howard Hinnant's days-from-civil algorithm.
    private static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func civilFromDays(_ z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
