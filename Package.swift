// swift-tools-version:6.1
import PackageDescription

// The core `Weir` library links no C library and talks to no server, so the demo and the
// test suite of the core build with nothing installed. Connectors that need one (Kafka,
// PostgreSQL) get their own targets.
let package = Package(
    name: "Weir",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Weir", targets: ["Weir"]),
        .executable(name: "weir", targets: ["weir"]),
        .executable(name: "weir-bench", targets: ["WeirBenchmarks"]),
        .executable(name: "weir-crash-test-job", targets: ["WeirCrashTestJob"]),
        .library(name: "WeirPostgres", targets: ["WeirPostgres"]),
        .executable(name: "weir-postgres-bench", targets: ["WeirPostgresBenchmarks"]),
        .library(name: "WeirKafka", targets: ["WeirKafka"]),
        .executable(name: "weir-kafka-crash-producer", targets: ["WeirKafkaCrashTestProducer"]),
        .executable(name: "weir-kafka-bench", targets: ["WeirKafkaBenchmarks"]),
    ],
    // `weir run --source kafka` / `--sink kafka` need WeirKafka, which links zlib (Debian's
    // zlib1g-dev): opt in with `--traits Kafka`, so that the default `weir` builds with nothing
    // installed.
    traits: [
        .trait(name: "Kafka", description: "The weir command reads from and writes to Kafka (needs zlib1g-dev)."),
        .trait(name: "Postgres", description: "The weir command writes into PostgreSQL (adds postgres-nio to its build)."),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "Weir",
            dependencies: [
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: [
                // Lets jobs written in other modules specialize Weir's generic operators;
                // without it such a job runs about 6x slower (see BENCHMARKS.md).
                // Runtime exclusivity checks cost a quarter of the record path (state tables are
                // class-owned dictionaries mutated in place); debug builds and tests keep them.
                .unsafeFlags(["-cross-module-optimization", "-enforce-exclusivity=unchecked"], .when(configuration: .release)),
            ]
        ),
        .executableTarget(
            name: "weir",
            dependencies: [
                "Weir",
                .target(name: "WeirKafka", condition: .when(traits: ["Kafka"])),
                .target(name: "WeirPostgres", condition: .when(traits: ["Postgres"])),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "WeirBenchmarks",
            dependencies: [
                "Weir",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The exactly-once PostgreSQL sink (PREPARE TRANSACTION); needs a server only at run time.
        .target(
            name: "WeirPostgres",
            dependencies: [
                "Weir",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // A Kafka protocol client in Swift (not librdkafka): it can resume another process's
        // transaction, which librdkafka cannot. Its only C library is zlib, for gzip batches.
        // With it, Weir's Kafka source and exactly-once Kafka sink.
        .target(
            name: "WeirKafka",
            dependencies: [
                "Weir",
                // gzip record batches; links the system's zlib (Debian: zlib1g-dev).
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Writes a Kafka transaction and waits to be SIGKILLed (crash tests of resuming).
        .executableTarget(
            name: "WeirKafkaCrashTestProducer",
            dependencies: [
                "WeirKafka",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "WeirKafkaBenchmarks",
            dependencies: [
                "Weir",
                "WeirKafka",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "WeirPostgresBenchmarks",
            dependencies: [
                "Weir",
                "WeirPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "WeirCrashTestJob",
            dependencies: [
                "Weir",
                "WeirPostgres",
                "WeirKafka",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "WeirTests",
            dependencies: [
                "Weir",
                "WeirPostgres",
                "WeirKafka",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            // Run by the tests with the Python that has confluent-kafka ($WEIR_KAFKA_PYTHON).
            exclude: ["Kafka/Peers"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
