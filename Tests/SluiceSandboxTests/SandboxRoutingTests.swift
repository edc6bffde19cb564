@testable import SluiceSandbox
import Testing

/// How a request's path finds its simulator and route: prefixes end at a slash, escapes are
/// decoded per segment, malformed escapes stay as they were sent.
@Suite struct SandboxRoutingTests {
    @Test func aDestinationPrefixEndsAtASlash() {
        #expect(SandboxCore.isBelow("/intercom", "/intercom"))
        #expect(SandboxCore.isBelow("/intercom/events", "/intercom"))
        #expect(!SandboxCore.isBelow("/intercomx/events", "/intercom"))
        #expect(!SandboxCore.isBelow("/inter", "/intercom"))
        #expect(SandboxDestination.allCases.allSatisfy { $0.pathPrefix == "/" + $0.rawValue })
    }

    @Test func percentEscapesAreDecodedAndMalformedOnesKept() {
        #expect(PercentEncoding.decode("a%40b.com") == "a@b.com")
        #expect(PercentEncoding.decode("%e2%82%AC") == "€")
        #expect(PercentEncoding.decode("100%") == "100%")
        #expect(PercentEncoding.decode("%zz1") == "%zz1", "a malformed escape loses nothing")
        #expect(PercentEncoding.decode("%4") == "%4")
        #expect(PercentEncoding.decode("%+1x") == "%+1x", "a sign is not a hex digit")
        #expect(PercentEncoding.decode("a+b", plusAsSpace: true) == "a b")
    }

    @Test func routeParametersAreDecodedPerSegment() throws {
        let table = RouteTable([("GET", "/contacts/{id}"), ("GET", "/users/search")], optionalSuffix: ".json")
        let match = try #require(table.match(method: "GET", path: "/contacts/a%2Fb"))
        #expect(match.parameters["id"] == "a/b")
        #expect(table.match(method: "GET", path: "/users/search.json") != nil)
        #expect(table.match(method: "POST", path: "/users/search") == nil)
        #expect(table.match(method: "GET", path: "/contacts/") == nil)
    }

    @Test func headerLookupIgnoresCase() {
        let request = SandboxRequest(method: "get", path: "/x", headers: ["Authorization": "Bearer t"])
        #expect(request.header("authorization") == "Bearer t" && request.header("AUTHORIZATION") == "Bearer t")
        #expect(request.method == "GET")
    }
}
