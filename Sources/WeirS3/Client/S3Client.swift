import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The S3 operations Weir needs, signed with Signature V4, each retried with a jittered
/// exponential backoff when no response came, or a 5xx or a 429 did (S3's advice for
/// `SlowDown` and `InternalError`); any other failure throws an ``S3Error`` at once, naming the
/// operation, bucket, key and status.
///
/// The calls block: checkpoint storage runs on the checkpoint writer's and coordinator's
/// threads, never on an event loop. Requests go through `HTTPClient.shared`
/// (async-http-client: connection pooling, TLS for `https`).
public final class S3Client: Sendable {
    /// The bucket and server.
    public let configuration: S3Configuration
    let signer: SignatureV4

    /// A client of `configuration`'s bucket.
    public init(_ configuration: S3Configuration) {
        self.configuration = configuration
        self.signer = SignatureV4(credentials: configuration.credentials, region: configuration.region)
    }

    /// Stores `bytes` under `key`, in parts when larger than the configured part size (an
    /// object appears whole or not at all either way).
    public func putObject(_ key: String, _ bytes: [UInt8]) throws {
        if bytes.count > configuration.multipartPartSize {
            try putObjectInParts(key, bytes)
            return
        }
        _ = try send("PutObject", .PUT, key: key, body: bytes)
    }

    /// The bytes of `key`.
    public func getObject(_ key: String) throws -> [UInt8] {
        let response = try send("GetObject", .GET, key: key)
        return response.body.map { Array($0.readableBytesView) } ?? []
    }

    /// Whether `key` exists.
    public func objectExists(_ key: String) throws -> Bool {
        do {
            _ = try send("HeadObject", .HEAD, key: key)
            return true
        } catch let error as S3Error where error.isNotFound {
            return false
        }
    }

    /// Deletes `key` (no error if it does not exist).
    public func deleteObject(_ key: String) throws {
        do { _ = try send("DeleteObject", .DELETE, key: key) } catch let error as S3Error where error.isNotFound {}
    }

    /// Every object whose key starts with `prefix`, in key order (ListObjectsV2, all pages).
    public func listObjects(prefix: String) throws -> [S3Object] {
        var objects: [S3Object] = []
        var token: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", prefix)]
            if let token { query.append(("continuation-token", token)) }
            let response = try send("ListObjectsV2", .GET, key: nil, prefixForErrors: prefix, query: query)
            let xml = Self.text(response)
            for block in S3XML.blocks("Contents", in: xml[...]) {
                guard let key = S3XML.value("Key", in: block) else { continue }
                objects.append(S3Object(key: key, size: S3XML.value("Size", in: block).flatMap { Int($0) } ?? 0))
            }
            token = S3XML.value("IsTruncated", in: xml[...]) == "true" ? S3XML.value("NextContinuationToken", in: xml[...]) : nil
        } while token != nil
        return objects
    }

    /// Starts a multipart upload of `key`; returns its upload id.
    public func createMultipartUpload(_ key: String) throws -> String {
        let response = try send("CreateMultipartUpload", .POST, key: key, query: [("uploads", "")])
        guard let id = S3XML.value("UploadId", in: Self.text(response)[...]) else {
            throw S3Error(operation: "CreateMultipartUpload", bucket: configuration.bucket, key: key, status: Int(response.status.code),
                          code: "MalformedResponse", message: "no UploadId in the response", attempts: 1)
        }
        return id
    }

    /// Uploads part `number` (from 1) of an upload; returns its ETag.
    public func uploadPart(_ key: String, uploadID: String, number: Int, _ bytes: ArraySlice<UInt8>) throws -> String {
        let response = try send("UploadPart", .PUT, key: key, query: [("partNumber", "\(number)"), ("uploadId", uploadID)], body: Array(bytes))
        guard let etag = response.headers.first(name: "etag") else {
            throw S3Error(operation: "UploadPart", bucket: configuration.bucket, key: key, status: Int(response.status.code),
                          code: "MalformedResponse", message: "no ETag for part \(number)", attempts: 1)
        }
        return etag
    }

    /// Completes an upload from its parts' ETags: the object appears, whole.
    public func completeMultipartUpload(_ key: String, uploadID: String, parts: [String]) throws {
        let body = "<CompleteMultipartUpload>" + parts.enumerated().map { index, etag in
            "<Part><PartNumber>\(index + 1)</PartNumber><ETag>\(S3XML.escape(etag))</ETag></Part>"
        }.joined() + "</CompleteMultipartUpload>"
        do {
            let response = try send("CompleteMultipartUpload", .POST, key: key, query: [("uploadId", uploadID)], body: Array(body.utf8))
            // S3 may answer 200 with an error in the body once it started completing.
            let text = Self.text(response)
            if let code = S3XML.value("Code", in: text[...]), text.contains("<Error>") {
                throw S3Error(operation: "CompleteMultipartUpload", bucket: configuration.bucket, key: key, status: Int(response.status.code),
                              code: code, message: S3XML.value("Message", in: text[...]) ?? "", attempts: 1)
            }
        } catch let error as S3Error where error.code == "NoSuchUpload" && error.attempts > 1 {
            // An earlier attempt completed it and its answer was lost: the object is there.
            guard try objectExists(key) else { throw error }
        }
    }

    /// Discards an upload and its parts (no error if it is gone).
    public func abortMultipartUpload(_ key: String, uploadID: String) throws {
        do { _ = try send("AbortMultipartUpload", .DELETE, key: key, query: [("uploadId", uploadID)]) } catch let error as S3Error where error.isNotFound {}
    }

    func putObjectInParts(_ key: String, _ bytes: [UInt8]) throws {
        let uploadID = try createMultipartUpload(key)
        do {
            var etags: [String] = []
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + configuration.multipartPartSize)
                etags.append(try uploadPart(key, uploadID: uploadID, number: etags.count + 1, bytes[start..<end]))
                start = end
            }
            try completeMultipartUpload(key, uploadID: uploadID, parts: etags)
        } catch {
            try? abortMultipartUpload(key, uploadID: uploadID)
            throw error
        }
    }

    // MARK: Requests

    /// Sends one signed request, with retries; returns a 2xx response or throws.
    func send(_ operation: String, _ method: HTTPMethod, key: String?, prefixForErrors: String? = nil,
              query: [(String, String)] = [], body: [UInt8] = []) throws -> HTTPClient.Response {
        let endpoint = configuration.endpoint
        guard let scheme = endpoint.scheme, let host = endpoint.host else {
            throw S3Error(operation: operation, bucket: configuration.bucket, key: key, status: nil, code: "InvalidEndpoint",
                          message: "'\(endpoint)' has no scheme or host", attempts: 0)
        }
        let defaultPort = scheme == "https" ? 443 : 80
        let hostHeader = (configuration.pathStyle ? host : "\(configuration.bucket).\(host)") + (endpoint.port.map { $0 == defaultPort ? "" : ":\($0)" } ?? "")
        let base = endpoint.path.hasSuffix("/") ? String(endpoint.path.dropLast()) : endpoint.path
        let path = base + (configuration.pathStyle ? "/\(configuration.bucket)" : "") + "/" + (key ?? "")
        let canonicalQuery = SignatureV4.canonicalQuery(query)
        let url = "\(scheme)://\(hostHeader)\(SignatureV4.encodePath(path))\(canonicalQuery.isEmpty ? "" : "?" + canonicalQuery)"
        let payloadHash = SignatureV4.hexSHA256(body)
        let named = key ?? prefixForErrors

        var attempt = 0
        while true {
            attempt += 1
            let headers: [(String, String)] = [("host", hostHeader)]
            let signedHeaders = signer.signedHeaders(method: method.rawValue, path: path, query: query, headers: headers,
                                                     payloadHash: payloadHash, date: Date())
            let outcome: Result<HTTPClient.Response, any Error>
            do {
                var request = try HTTPClient.Request(url: url, method: method, headers: HTTPHeaders(headers + signedHeaders))
                // (async-http-client sets Content-Length, 0 for an empty PUT or POST.)
                if !body.isEmpty || method == .PUT || method == .POST { request.body = .bytes(body) }
                let deadline = NIODeadline.now() + .nanoseconds(Int64(configuration.requestTimeout.wholeNanoseconds))
                outcome = .success(try HTTPClient.shared.execute(request: request, deadline: deadline).wait())
            } catch {
                outcome = .failure(error)
            }
            let failure: S3Error
            let retryable: Bool
            switch outcome {
            case .success(let response) where (200..<300).contains(Int(response.status.code)):
                return response
            case .success(let response):
                let text = Self.text(response)
                let code = S3XML.value("Code", in: text[...]) ?? response.status.reasonPhrase
                failure = S3Error(operation: operation, bucket: configuration.bucket, key: named, status: Int(response.status.code), code: code,
                                  message: S3XML.value("Message", in: text[...]) ?? "", attempts: attempt)
                retryable = response.status.code >= 500 || response.status.code == 429
            case .failure(let error):
                failure = S3Error(operation: operation, bucket: configuration.bucket, key: named, status: nil, code: "\(error)",
                                  message: "no response from \(scheme)://\(hostHeader)", attempts: attempt)
                retryable = true
            }
            guard retryable, attempt < configuration.maxAttempts else { throw failure }
            let base = Double(configuration.retryBaseDelay.wholeNanoseconds) / 1e9 * pow(2, Double(attempt - 1))
            Thread.sleep(forTimeInterval: min(10, base * Double.random(in: 0.5...1.5)))
        }
    }

    static func text(_ response: HTTPClient.Response) -> String {
        response.body.map { String(buffer: $0) } ?? ""
    }
}

extension Duration {
    var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
