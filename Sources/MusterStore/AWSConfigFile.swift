/// The AWS CLI's shared files, `~/.aws/credentials` and `~/.aws/config`, read
/// as botocore reads them: `[section]` headers, `key = value` lines (keys
/// lowercase), comments on lines of their own starting with `#` or `;`, and
/// nested settings (`s3 =` followed by indented `addressing_style = path`),
/// kept as `s3.addressing_style`.
struct AWSConfigFile {
    /// Each section's settings, by the section's name as written in brackets.
    var sections: [String: [String: String]] = [:]

    init(text: String) {
        var section: String?
        var parent: String?
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let line = raw.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                section = String(line.dropFirst().dropLast()).trimmingWhitespace()
                parent = nil
                if let section, sections[section] == nil { sections[section] = [:] }
                continue
            }
            guard let section, let eq = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else { continue }
            let key = String(line[..<eq]).trimmingWhitespace().lowercased()
            let value = String(line[line.index(after: eq)...]).trimmingWhitespace()
            let indented = raw.first == " " || raw.first == "\t"
            if indented, let parent {
                sections[section]?["\(parent).\(key)"] = value
            } else if value.isEmpty {
                parent = key
            } else {
                parent = nil
                sections[section]?[key] = value
            }
        }
    }

    /// The settings of profile `name` in the config file, where every
    /// profile but `default` is written `[profile NAME]`.
    func configProfile(_ name: String) -> [String: String]? {
        name == "default" ? (sections["default"] ?? sections["profile default"]) : sections["profile \(name)"]
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        String(drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed())
    }

    /// Without leading and trailing white space and line breaks (a token
    /// file's last newline), as Foundation's `.whitespacesAndNewlines` trims.
    func trimmingWhitespaceAndNewlines() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
