import NIOCore
import NIOPosix
import WeirKafka
import XCTest
import WeirKafkaTestSupport

/// Connections, version negotiation, topic creation and metadata against a real broker
/// (noida-db and Tansu), and the errors of brokers that are not there or do not answer.
final class BrokerConnectionTests: XCTestCase {
    func testVersionsAreNegotiatedTopicsCreatedAndDescribed() async throws {
        try await versionsAreNegotiatedTopicsCreatedAndDescribed(on: .noida)
    }

    func testVersionsAreNegotiatedTopicsCreatedAndDescribedOnTansu() async throws {
        try await versionsAreNegotiatedTopicsCreatedAndDescribed(on: .tansu)
    }

    private func versionsAreNegotiatedTopicsCreatedAndDescribed(on kind: KafkaTestBroker.Kind) async throws {
        let broker = try KafkaTestBroker.start(kind)
        defer { broker.stop() }
        let connection = try await BrokerConnection.connect(to: broker.address, configuration: KafkaClientConfiguration())
        for api in [APIKey.produce, .fetch, .metadata, .createTopics, .initProducerID, .endTxn, .findCoordinator] {
            XCTAssertNotNil(connection.brokerVersions[api], "\(kind) speaks \(api)")
        }
        XCTAssertGreaterThanOrEqual(try connection.version(of: MetadataRequest.self), 1)

        let created = try await connection.send(CreateTopicsRequest(topics: [.init(name: "weir-events", partitions: 3)]), timeout: .seconds(10))
        XCTAssertEqual(created.map(\.name), ["weir-events"])
        XCTAssertEqual(created.map(\.errorCode), [.none])
        let again = try await connection.send(CreateTopicsRequest(topics: [.init(name: "weir-events", partitions: 3)]), timeout: .seconds(10))
        XCTAssertEqual(again.map(\.errorCode), [.topicAlreadyExists])

        let metadata = try await connection.send(MetadataRequest(topics: ["weir-events", "weir-missing"]), timeout: .seconds(10))
        XCTAssertFalse(metadata.brokers.isEmpty)
        let events = try XCTUnwrap(metadata.topics.first { $0.name == "weir-events" })
        XCTAssertEqual(events.errorCode, .none)
        XCTAssertEqual(events.partitions.map(\.index), [0, 1, 2])
        let brokerIDs = Set(metadata.brokers.map(\.nodeID))
        for partition in events.partitions {
            XCTAssertTrue(brokerIDs.contains(partition.leaderID), "partition \(partition.index) is led by a listed broker")
        }
        let missing = try XCTUnwrap(metadata.topics.first { $0.name == "weir-missing" })
        XCTAssertEqual(missing.errorCode, .unknownTopicOrPartition)
        XCTAssertEqual(metadata.brokers.first?.address.port, broker.address.port, "the broker advertises the address it listens on")
        await connection.close()
    }

    func testUnreachableBrokerIsNamedInTheError() async throws {
        let address = BrokerAddress(host: "127.0.0.1", port: try KafkaTestBroker.freePort())
        do {
            _ = try await BrokerConnection.connect(to: address, configuration: KafkaClientConfiguration())
            XCTFail("connected to a port nobody listens on")
        } catch let error as KafkaError {
            guard case .connectionFailed(let broker, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(broker, address)
            XCTAssertTrue("\(error)".contains("127.0.0.1:\(address.port)"), "\(error)")
        }
    }

    /// A peer that accepts the connection but never answers: the request times out, naming
    /// the request and the broker, instead of waiting for good.
    func testSilentBrokerTimesOutNamingTheRequest() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        let address = BrokerAddress(host: "127.0.0.1", port: try XCTUnwrap(server.localAddress?.port))
        var configuration = KafkaClientConfiguration()
        configuration.requestTimeout = .milliseconds(300)
        let started = ContinuousClock.now
        do {
            _ = try await BrokerConnection.connect(to: address, configuration: configuration)
            XCTFail("a silent peer answered")
        } catch let error as KafkaError {
            guard case .timedOut(let broker, let api, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(broker, address)
            XCTAssertEqual(api, .apiVersions)
            XCTAssertTrue("\(error)".contains("ApiVersions"), "\(error)")
        }
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(10))
    }
}
