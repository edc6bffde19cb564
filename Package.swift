// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Sluice",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // Segment event model, JSON value type, timestamps. Foundation only.
        .target(name: "SluiceSpec"),
        // zlib for gzip request bodies.
        .systemLibrary(name: "CZlib", pkgConfig: nil, providers: [.apt(["zlib1g-dev"])]),
        // Durable event log behind a protocol; SQLite (GRDB) implementation.
        .target(name: "SluiceStore", dependencies: [
            "SluiceSpec",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ]),
        // Lean HTTP/1.1 parsing and writing over NIO buffers, for the engine's client and the sandbox's server.
        .target(name: "SluiceHTTP", dependencies: [.product(name: "NIOCore", package: "swift-nio")]),
        // Per-destination settings and pure mappings.
        .target(name: "SluiceDestinations", dependencies: ["SluiceSpec"]),
        // Segment-compatible ingest HTTP API.
        .target(name: "SluiceServer", dependencies: [
            "SluiceSpec", "SluiceStore", "CZlib",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Router, lanes, rate limiter, retries, attempt records, stats.
        .target(name: "SluiceDelivery", dependencies: [
            "SluiceSpec", "SluiceDestinations", "SluiceStore", "SluiceHTTP",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),
        // Local simulators of the four APIs, with their limits and faults; a traffic generator.
        .target(name: "SluiceSandbox", dependencies: [
            "SluiceSpec", "SluiceHTTP",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // ncurses, with a C shim for what Swift cannot import (macros, stdscr, wide input).
        .systemLibrary(name: "CNCurses", pkgConfig: nil, providers: [.apt(["libncurses-dev"])]),
        // The operator's terminal dashboard: widgets on an in-memory grid, screens, themes.
        .target(name: "SluiceConsole", dependencies: ["SluiceSpec", "SluiceDestinations", "SluiceStore", "CNCurses"]),
        // Linked into the binary, mimalloc replaces the C allocator process-wide; glibc's costs
        // about 6 % more CPU per delivered event (BENCHMARKS.md).
        .systemLibrary(name: "CMimalloc", pkgConfig: nil, providers: [.apt(["libmimalloc-dev"])]),
        .executableTarget(name: "sluice", dependencies: [
            "CMimalloc", "SluiceSpec", "SluiceStore", "SluiceServer", "SluiceDestinations", "SluiceDelivery", "SluiceSandbox", "SluiceConsole",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .testTarget(name: "SluiceSpecTests", dependencies: ["SluiceSpec"]),
        .testTarget(name: "SluiceHTTPTests", dependencies: ["SluiceHTTP", .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(name: "SluiceStoreTests", dependencies: ["SluiceStore", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "SluiceDeliveryTests", dependencies: [
            "SluiceDelivery", "SluiceSandbox", "SluiceHTTP",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        .testTarget(name: "SluiceSandboxTests", dependencies: [
            "SluiceSandbox", "SluiceSpec",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "SluiceServerTests", dependencies: [
            "SluiceServer", "SluiceStore",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
        .testTarget(name: "SluiceDestinationsTests", dependencies: ["SluiceDestinations"]),
        .testTarget(name: "SluiceConsoleTests", dependencies: ["SluiceConsole", "SluiceStore", "SluiceDestinations"],
                    exclude: ["Snapshots"]),  // text snapshots, read through #filePath
    ]
)
