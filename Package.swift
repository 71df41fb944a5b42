// swift-tools-version:6.1
import PackageDescription

// The core `Weir` library links no C library and talks to no server, so the demo and the
// test suite of the core build with nothing installed. Connectors that need one (Kafka,
// PostgreSQL) get their own targets. No library target has unsafe flags: a package that
// depends on Weir by version builds it (SwiftPM refuses unsafe flags there); the record path
// is `@inlinable` instead of relying on `-cross-module-optimization` (BENCHMARKS.md).
//
// Platforms: Linux (built and tested on Debian 12 with Swift 6.1 and later). macOS is not
// claimed: nothing here has been built there, though the system calls sit behind
// `#if canImport(Glibc) / canImport(Darwin)`.
let package = Package(
    name: "Weir",
    products: [
        .library(name: "Weir", targets: ["Weir"]),
        .executable(name: "weir", targets: ["weir"]),
        .executable(name: "weir-bench", targets: ["WeirBenchmarks"]),
        .executable(name: "weir-user-job", targets: ["WeirUserJobInRepository"]),
        .executable(name: "weir-crash-test-job", targets: ["WeirCrashTestJob"]),
        .library(name: "WeirPostgres", targets: ["WeirPostgres"]),
        .executable(name: "weir-postgres-bench", targets: ["WeirPostgresBenchmarks"]),
        .library(name: "WeirKafka", targets: ["WeirKafka"]),
        .library(name: "WeirS3", targets: ["WeirS3"]),
        .library(name: "WeirRocksDB", targets: ["WeirRocksDB"]),
        .executable(name: "weir-kafka-crash-producer", targets: ["WeirKafkaCrashTestProducer"]),
        .executable(name: "weir-kafka-bench", targets: ["WeirKafkaBenchmarks"]),
    ],
    // `weir run --source kafka` / `--sink kafka` need WeirKafka, which links zlib (Debian's
    // zlib1g-dev): opt in with `--traits Kafka`, so that the default `weir` builds with nothing
    // installed.
    traits: [
        // On by default, so that WeirKafka reads what other producers compress. Off
        // (`--disable-default-traits`), nothing in the package needs a C library: the core's
        // tests build without zlib, and WeirKafka fails gzip batches with an error naming it.
        .trait(name: "Gzip", description: "WeirKafka reads and writes gzip-compressed record batches (links zlib: Debian's zlib1g-dev)."),
        .default(enabledTraits: ["Gzip"]),
        .trait(name: "Kafka", description: "The weir command reads from and writes to Kafka.", enabledTraits: ["Gzip"]),
        .trait(name: "Postgres", description: "The weir command writes into PostgreSQL (adds postgres-nio to its build)."),
        .trait(name: "S3", description: "The weir command keeps checkpoints in S3-compatible object storage (adds WeirS3: swift-crypto, async-http-client)."),
        .trait(name: "RocksDB", description: "The weir command keeps keyed state in RocksDB (adds WeirRocksDB, which links Debian's librocksdb-dev)."),
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
        // WeirS3: HMAC-SHA256 for Signature V4, and an HTTP client with pooling and TLS.
        // (postgres-nio already builds swift-crypto and swift-nio-ssl.)
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // `swift package generate-documentation`: the DocC catalogs of Weir, WeirKafka and WeirPostgres.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "Weir",
            dependencies: [
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ]
        ),
        // The reference workload (seeded events, window sums) that `weir run`, the benchmarks
        // and the tests share: a demo, not part of the library users depend on.
        .target(
            name: "WeirReferenceJobs",
            dependencies: ["Weir"]
        ),
        .executableTarget(
            name: "weir",
            dependencies: [
                "Weir",
                "WeirReferenceJobs",
                .target(name: "WeirKafka", condition: .when(traits: ["Kafka"])),
                .target(name: "WeirPostgres", condition: .when(traits: ["Postgres"])),
                .target(name: "WeirS3", condition: .when(traits: ["S3"])),
                .target(name: "WeirRocksDB", condition: .when(traits: ["RocksDB"])),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // A user's job with nothing but Weir's public API; the same source is the package in
        // Benchmarks/UserJob, which depends on Weir by version (scripts/package-benchmark.sh).
        // (Named apart from the package's own target: target names are unique in a package graph.)
        .executableTarget(
            name: "WeirUserJobInRepository",
            dependencies: ["Weir"],
            path: "Benchmarks/UserJob/Sources/WeirUserJob"
        ),
        // Every code example of the README, docs/ and the doc comments, as programs that build
        // and run (Tests/WeirCommandTests/Examples checks that each snippet is in one, and runs them).
        .executableTarget(name: "ClicksPerMinute", dependencies: ["Weir"], path: "Examples/ClicksPerMinute"),
        .executableTarget(name: "ExactlyOnceClicks", dependencies: ["Weir"], path: "Examples/ExactlyOnceClicks"),
        .executableTarget(name: "APITour", dependencies: ["Weir"], path: "Examples/APITour"),
        .executableTarget(name: "ClicksIntoPostgres", dependencies: ["Weir", "WeirPostgres"], path: "Examples/ClicksIntoPostgres"),
        .executableTarget(name: "ClicksFromKafka", dependencies: ["Weir", "WeirKafka"], path: "Examples/ClicksFromKafka"),
        .executableTarget(name: "ClicksWithCheckpointsInS3", dependencies: ["Weir", "WeirS3"], path: "Examples/ClicksWithCheckpointsInS3"),
        .executableTarget(name: "ClicksWithStateInRocksDB", dependencies: ["Weir", "WeirRocksDB"], path: "Examples/ClicksWithStateInRocksDB"),
        .executableTarget(name: "ClicksAcrossWorkers", dependencies: ["Weir", "WeirKafka", "WeirS3", .product(name: "NIOCore", package: "swift-nio")], path: "Examples/ClicksAcrossWorkers"),
        .executableTarget(
            name: "WeirBenchmarks",
            dependencies: [
                "Weir",
                "WeirReferenceJobs",
                // `weir-bench state`: the heap against RocksDB.
                .target(name: "WeirRocksDB", condition: .when(traits: ["RocksDB"])),
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
                .product(name: "CompressNIO", package: "compress-nio", condition: .when(traits: ["Gzip"])),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Checkpoints in an S3-compatible bucket (Signature V4 over async-http-client); needs a
        // server only at run time.
        .target(
            name: "WeirS3",
            dependencies: [
                "Weir",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // RocksDB's C API from the system (Debian: librocksdb-dev, RocksDB 7.8).
        .systemLibrary(
            name: "CRocksDB",
            pkgConfig: "rocksdb",
            providers: [.apt(["librocksdb-dev"])]
        ),
        // Keyed state in RocksDB on local disk, for state larger than memory.
        .target(
            name: "WeirRocksDB",
            dependencies: ["Weir", "CRocksDB"]
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
                "WeirReferenceJobs",
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
                "WeirReferenceJobs",
                "WeirPostgres",
                "WeirKafka",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Tests, one target per module under test. The core's (WeirTests) import nothing but
        // Weir, the reference workload and WeirTestSupport, which links no connector either.
        // (`swift test` builds every target of the package whatever the filter; with
        // `--disable-default-traits` nothing of it needs a C library: README, Tests.)
        .target(
            name: "WeirTestSupport",
            dependencies: ["Weir", "WeirReferenceJobs"],
            path: "Tests/WeirTestSupport"
        ),
        .target(
            name: "WeirKafkaTestSupport",
            dependencies: ["WeirKafka", "WeirTestSupport"],
            path: "Tests/WeirKafkaTestSupport",
            // Run by the tests with the Python that has confluent-kafka ($WEIR_KAFKA_PYTHON).
            exclude: ["Peers"]
        ),
        .testTarget(
            name: "WeirTests",
            dependencies: ["Weir", "WeirReferenceJobs", "WeirTestSupport"]
        ),
        .testTarget(
            name: "WeirKafkaTests",
            dependencies: [
                "Weir",
                "WeirReferenceJobs",
                "WeirKafka",
                "WeirTestSupport",
                "WeirKafkaTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "WeirRocksDBTests",
            dependencies: ["Weir", "WeirReferenceJobs", "WeirRocksDB", "WeirS3", "WeirTestSupport"]
        ),
        .testTarget(
            name: "WeirS3Tests",
            dependencies: ["Weir", "WeirReferenceJobs", "WeirS3", "WeirTestSupport"]
        ),
        .testTarget(
            name: "WeirPostgresTests",
            dependencies: [
                "Weir",
                "WeirReferenceJobs",
                "WeirPostgres",
                "WeirTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The weir command, the conformance matrix (which runs it) and the documentation's
        // examples: end-to-end tests of built executables.
        .testTarget(
            name: "WeirCommandTests",
            dependencies: [
                "Weir",
                "WeirReferenceJobs",
                "WeirKafka",
                "WeirTestSupport",
                "WeirKafkaTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
