// swift-tools-version:6.1
import PackageDescription
import Foundation

// A user's package: one job that depends on Weir the way a user's does, by version.
// scripts/package-benchmark.sh points WEIR_PACKAGE_URL at a tagged clone of this repository
// and compares this job's throughput with the same source built inside the repository
// (`swift run -c release weir-user-job`). Without WEIR_PACKAGE_URL it depends on the working
// tree by path (`../..`), for editing.
let weir: Package.Dependency = ProcessInfo.processInfo.environment["WEIR_PACKAGE_URL"].map {
    .package(url: $0, from: "0.1.0")
} ?? .package(name: "Weir", path: "../..")

let package = Package(
    name: "WeirUserJob",
    dependencies: [weir],
    targets: [
        .executableTarget(
            name: "WeirUserJob",
            dependencies: [.product(name: "Weir", package: "Weir")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
