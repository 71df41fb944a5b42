import Foundation
import XCTest

/// The PostgreSQL server the test command started (`scripts/test.sh` exports its URL in
/// `WEIR_POSTGRES_URL`, and a second one with `max_prepared_transactions = 0` in
/// `WEIR_POSTGRES_NO_PREPARED_URL`). Without them the PostgreSQL tests skip — unless
/// `WEIR_REQUIRE_POSTGRES=1` (set by the test command), where they fail.
package enum PostgresTestServer {
    package static func url(_ variable: String = "WEIR_POSTGRES_URL") throws -> String {
        if let url = ProcessInfo.processInfo.environment[variable], !url.isEmpty { return url }
        if ProcessInfo.processInfo.environment["WEIR_REQUIRE_POSTGRES"] == "1" {
            XCTFail("\(variable) is not set although WEIR_REQUIRE_POSTGRES=1")
        }
        throw XCTSkip("\(variable) is not set: run the tests with scripts/test.sh, which starts a PostgreSQL server")
    }
}
