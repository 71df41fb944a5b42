import Foundation

/// The few elements Weir reads from S3's XML responses (`<Key>`, `<UploadId>`, `<Code>`,
/// …): S3's responses are flat and its element names unique within their parent, so a
/// scan for `<Name>…</Name>` with entity decoding is all it takes — and it keeps WeirS3 off
/// FoundationXML, which needs libxml2 at run time.
enum S3XML {
    /// The decoded text of every `<name>…</name>` in `xml`, in order.
    static func values(_ name: String, in xml: Substring) -> [String] {
        blocks(name, in: xml).map { decode($0) }
    }

    /// The first `<name>` value, if any.
    static func value(_ name: String, in xml: Substring) -> String? {
        values(name, in: xml).first
    }

    /// The raw contents of every `<name>…</name>` (for nested elements: `<Contents>`).
    static func blocks(_ name: String, in xml: Substring) -> [Substring] {
        let open = "<\(name)>", close = "</\(name)>"
        var result: [Substring] = []
        var rest = xml
        while let start = rest.range(of: open) {
            guard let end = rest[start.upperBound...].range(of: close) else { break }
            result.append(rest[start.upperBound..<end.lowerBound])
            rest = rest[end.upperBound...]
        }
        return result
    }

    /// XML's five named entities and numeric character references.
    static func decode(_ text: Substring) -> String {
        guard text.contains("&") else { return String(text) }
        var out = ""
        var rest = text
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semi = rest[amp...].firstIndex(of: ";") else { out += rest[amp...]; return out }
            let entity = rest[rest.index(after: amp)..<semi]
            switch entity {
            case "amp": out += "&"
            case "lt": out += "<"
            case "gt": out += ">"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                let scalar: UInt32? = entity.hasPrefix("#x") ? UInt32(entity.dropFirst(2), radix: 16) : entity.hasPrefix("#") ? UInt32(entity.dropFirst(), radix: 10) : nil
                if let scalar, let character = Unicode.Scalar(scalar) { out.unicodeScalars.append(character) } else { out += rest[amp...semi] }
            }
            rest = rest[rest.index(after: semi)...]
        }
        return out + rest
    }

    /// `text` with `&`, `<`, `>` escaped (for request bodies).
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
