import Foundation
import SluiceDelivery
import SluiceDestinations
import SluiceSandbox
import SluiceSpec
import SluiceStore
import Logging

/// The engine, a store and the sandbox in one process: what `sluice demo` runs, for tests.
struct SandboxRig {
    let sandbox: Sandbox
    let store: SQLiteEventStore
    let transport: PooledHTTPTransport
    let scale: Double

    static func start(scale: Double = 1, enabled: Set<DestinationID> = Set(DestinationID.allCases), faults: [SandboxDestination: FaultSettings] = [:]) async throws -> SandboxRig {
        var logger = Logger(label: "sandbox")
        logger.logLevel = .critical
        var configuration = SandboxConfiguration(limitScale: scale)
        configuration.logger = logger
        let sandbox = try await Sandbox.start(configuration: configuration)
        for (destination, fault) in faults { sandbox.setFaults(fault, for: destination) }
        let rig = SandboxRig(sandbox: sandbox, store: try temporaryStore(), transport: PooledHTTPTransport(), scale: scale)
        for (id, object) in rig.settings() where enabled.contains(id) {
            try await save(rig.store, id.rawValue, object)
        }
        return rig
    }

    func settings() -> [DestinationID: JSONObject] {
        var settings: [DestinationID: JSONObject] = [:]
        for (key, object) in sandbox.destinationSettings() { settings[DestinationID(rawValue: key)!] = object }
        return settings
    }

    func engine(maxInFlight: Int = 16, configure: (inout EngineOptions) -> Void = { _ in }) async throws -> DeliveryEngine {
        var options = fastRetries()
        options.rateLimitScale = scale
        options.maxInFlightPerDestination = maxInFlight
        configure(&options)
        var logger = Logger(label: "engine")
        logger.logLevel = .critical
        return try await DeliveryEngine(store: store, transport: transport, options: options, logger: logger)
    }

    func stop() async {
        await transport.shutdown()
        await sandbox.shutdown()
    }

    func objects(_ destination: SandboxDestination, _ key: String) -> [JSON] {
        sandbox.state(of: destination)[key]?.arrayValue ?? []
    }
}

func call(_ type: String, _ user: String, _ id: String, _ fields: JSONObject = [:]) -> JSON {
    var object: JSONObject = ["type": .string(type), "userId": .string(user), "messageId": .string(id)]
    for entry in fields { object[entry.key] = entry.value }
    return .object(object)
}
