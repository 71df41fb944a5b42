import Foundation
import XCTest
@testable import WeirS3

final class SignatureV4Tests: XCTestCase {
    /// The GET Object example of the S3 documentation ("Authenticating Requests: Using the
    /// Authorization Header", examplebucket, test.txt, Range bytes=0-9): its published signature.
    func testTheDocumentedGetObjectExampleSignsAsPublished() {
        let signer = SignatureV4(credentials: S3Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                                 region: "us-east-1")
        let emptyHash = SignatureV4.hexSHA256([UInt8]())
        XCTAssertEqual(emptyHash, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let date = Date(timeIntervalSince1970: 1_369_353_600) // 2013-05-24T00:00:00Z
        let headers = signer.signedHeaders(method: "GET", path: "/test.txt", query: [],
                                           headers: [("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9")],
                                           payloadHash: emptyHash, date: date)
        let authorization = headers.first { $0.0 == "authorization" }?.1
        XCTAssertEqual(authorization, "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                       + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        XCTAssertEqual(headers.first { $0.0 == "x-amz-date" }?.1, "20130524T000000Z")
    }

    func testQueryAndPathAreEncodedOnceAndSorted() {
        XCTAssertEqual(SignatureV4.canonicalQuery([("uploadId", "a+b/c="), ("partNumber", "2"), ("list-type", "2"), ("prefix", "")]),
                       "list-type=2&partNumber=2&prefix=&uploadId=a%2Bb%2Fc%3D")
        XCTAssertEqual(SignatureV4.encodePath("/bucket/jobs/a b/chk-1/_metadata"), "/bucket/jobs/a%20b/chk-1/_metadata")
        XCTAssertEqual(SignatureV4.encodePath(""), "/")
    }

    func testSessionTokenIsSentAndSigned() {
        let signer = SignatureV4(credentials: S3Credentials(accessKeyID: "AK", secretAccessKey: "secret", sessionToken: "token"), region: "eu-west-1")
        let headers = signer.signedHeaders(method: "PUT", path: "/b/k", query: [], headers: [("host", "h")],
                                           payloadHash: SignatureV4.hexSHA256(Array("x".utf8)), date: Date(timeIntervalSince1970: 0))
        XCTAssertEqual(headers.first { $0.0 == "x-amz-security-token" }?.1, "token")
        XCTAssertTrue(headers.first { $0.0 == "authorization" }!.1.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token"))
        XCTAssertTrue(headers.first { $0.0 == "authorization" }!.1.contains("/19700101/eu-west-1/s3/aws4_request"))
    }

    func testXMLValuesAreDecoded() {
        let xml = "<ListBucketResult><Contents><Key>a&amp;b&#47;c</Key><Size>3</Size></Contents><Contents><Key>d</Key><Size>10</Size></Contents><IsTruncated>false</IsTruncated></ListBucketResult>"
        XCTAssertEqual(S3XML.blocks("Contents", in: xml[...]).compactMap { S3XML.value("Key", in: $0) }, ["a&b/c", "d"])
        XCTAssertEqual(S3XML.value("IsTruncated", in: xml[...]), "false")
    }
}
