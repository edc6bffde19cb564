@testable import SluiceDestinations
import SluiceSpec
import Testing

/// The search-reply reader must agree with the full parser wherever it answers at all.
@Suite struct IntercomReplyTests {
    func both(_ text: String) -> (fast: IntercomReplyReader.SearchReply?, parsed: IntercomReplyReader.SearchReply?) {
        let bytes = Array(text.utf8)
        return (IntercomReplyReader.search(bytes), IntercomContactLookup.searchReply(from: try? JSONParser.parse(bytes)))
    }

    @Test(arguments: [
        #"{"type":"list","data":[{"type":"contact","id":"6650a1","external_id":"u1"}],"total_count":1}"#,
        #"{"type":"list","data":[],"total_count":0,"pages":{"type":"pages","page":1,"per_page":50,"total_pages":0}}"#,
        #"{"type":"list","data":[{"id":"a","external_id":null},{"id":"b"}],"total_count":2}"#,
        """
        {
          "type": "list",
          "data": [ {
            "type": "contact", "workspace_id": "ecahpwf5", "role": "user", "email": "j\\"o@example.com",
            "custom_attributes": {"plan": "pro", "id": "not-this", "nested": [1, 2.5e3, true, false, null, {"x": []}]},
            "companies": {"type": "list", "data": [{"id": "company-1"}]},
            "id": "6650a1b2",
            "external_id": "u1",
            "name": "Jos\\u00e9 Ünïcode"
          } ],
          "total_count": 1
        }
        """,
    ])
    func theReaderAgreesWithTheParser(_ reply: String) {
        let result = both(reply)
        #expect(result.fast != nil)
        #expect(result.fast == result.parsed)
    }

    @Test func theFirstContactsFieldsAreRead() {
        let reply = #"{"data":[{"external_id":"u1","id":"c1","companies":{"data":[{"id":"x"}]}}],"total_count":1}"#
        #expect(IntercomReplyReader.search(Array(reply.utf8)) == .init(count: 1, firstId: "c1", firstExternalId: "u1", totalCount: 1))
    }

    @Test(arguments: [
        #"{"data":[{"id":"c\u0031"}],"total_count":1}"#,
        #"{"data":[{"id":12345}],"total_count":1}"#,
        #"{"data":[{"id":"c1"}],"total_count":1} trailing"#,
        #"{"data":[{"id":"c1"}"#,
        #"["not", "an", "object"]"#,
    ])
    func unexpectedRepliesAreLeftToTheParser(_ reply: String) {
        #expect(IntercomReplyReader.search(Array(reply.utf8)) == nil)
    }

    @Test func anEscapedOrNumericIdStillMatchesThroughTheParser() async throws {
        for reply in [#"{"data":[{"id":"c\u0031"}],"total_count":1}"#, #"{"data":[{"id":1}],"total_count":1}"#] {
            let context = ScriptedContext()
            context.on(.POST, "/contacts/search", HTTPResponse(status: 200, body: Array(reply.utf8)))
            context.on(.PUT, "/contacts/", Canned.object("contact", id: "c1"))
            _ = try await Intercom.map(try Canned.identify(["plan": "pro"]), settings: Canned.intercom(), context: context)
            #expect(context.lines.last == "PUT /contacts/" + (reply.contains("c\\u0031") ? "c1" : "1"))
        }
    }

    @Test func anUnreadableSearchReplyFailsInsteadOfCreatingADuplicate() async throws {
        let context = ScriptedContext()
        context.on(.POST, "/contacts/search", HTTPResponse(status: 200, body: Array("<html>maintenance</html>".utf8)))
        let failure = await Canned.failure { try await Intercom.map(try Canned.identify(["plan": "pro"]), settings: Canned.intercom(), context: context) }
        #expect(failure?.message.contains("maintenance") == true)
        #expect(context.lines == ["POST /contacts/search"])
    }
}

@Suite struct IntercomReplyIdTests {
    @Test(arguments: [
        (#"{"type":"contact","id":"c9","custom_attributes":{"id":"no"},"companies":{"data":[{"id":"x"}]}}"#, "c9"),
        (#"{"type":"company","company_id":"g1","id":"ic-1"}"#, "ic-1"),
        (#"{"type":"company","id":12}"#, "12"),
        (#"{"type":"company","id":"c\u0039"}"#, "c9"),
    ])
    func theObjectsIdIsRead(_ reply: String, _ id: String) {
        #expect(IntercomReply.id(HTTPResponse(status: 200, body: Array(reply.utf8))) == id)
    }

    @Test func aReplyWithoutAnIdHasNone() {
        #expect(IntercomReply.id(HTTPResponse(status: 200, body: Array(#"{"type":"company"}"#.utf8))) == nil)
        #expect(IntercomReply.id(HTTPResponse(status: 202)) == nil)
    }
}
