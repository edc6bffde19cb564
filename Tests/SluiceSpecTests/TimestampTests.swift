import Foundation
import SluiceSpec
import Testing

@Suite struct TimestampTests {
    static let reference: Int64 = 1_458_841_491  // 2016-03-24T17:44:51Z

    @Test(arguments: [
        "2016-03-24T17:44:51Z",
        "2016-03-24T17:44:51.000Z",
        "2016-03-24T17:44:51.123456Z",
        "2016-03-24T18:44:51+01:00",
        "2016-03-24T12:44:51-0500",
        "2016-03-24 17:44:51Z",
        "2016-03-24T17:44:51",
        "Thu Mar 24 2016 17:44:51 GMT+0000 (UTC)",
        "Thu Mar 24 2016 10:44:51 GMT-0700 (Pacific Daylight Time)",
        "Thu, 24 Mar 2016 17:44:51 GMT",
        "1458841491",
        "1458841491000",
    ])
    func parsesEveryDocumentedForm(text: String) {
        #expect(Timestamp.unixSeconds(.string(text)) == Self.reference)
    }

    @Test func parsesEpochNumbersInSecondsAndMilliseconds() {
        #expect(Timestamp.unixSeconds(.int(Self.reference)) == Self.reference)
        #expect(Timestamp.unixSeconds(.int(Self.reference * 1000)) == Self.reference)
        #expect(Timestamp.unixSeconds(.double(Double(Self.reference) + 0.5)) == Self.reference)
    }

    @Test func keepsFractionalSeconds() throws {
        let date = try #require(Timestamp.parse("2016-03-24T17:44:51.250Z"))
        #expect(date.timeIntervalSince1970 == 1_458_841_491.25)
    }

    @Test func dateOnlyIsMidnightUTC() {
        #expect(Timestamp.unixSeconds("2016-03-24") == 1_458_777_600)
    }

    @Test(arguments: ["", "yesterday", "2016-13-01", "2016-02-30T00:00:00Z", "2016-03-24T25:00:00Z", "Mar 2016", "-5", "NaN"])
    func rejectsNonDates(text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    @Test func rejectsNonScalars() {
        #expect(Timestamp.parse(JSON.bool(true)) == nil)
        #expect(Timestamp.parse(JSON.object([:])) == nil)
    }

    @Test func formatsISO8601WithMilliseconds() {
        #expect(Timestamp.iso8601(Date(timeIntervalSince1970: 1_458_841_491.25)) == "2016-03-24T17:44:51.250Z")
        #expect(Timestamp.iso8601(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp.iso8601(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00.000Z")
    }
}
