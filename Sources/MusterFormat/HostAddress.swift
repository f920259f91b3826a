/// What a `host:` may name: an ssh destination that can only ever be a
/// destination. `ssh` reads a leading `-` as an option (`-oProxyCommand=…`
/// runs a command here) and `ssh://` or a `:port` as more than a host, so
/// the value is held to a host name, an IP address or an ssh config alias,
/// with an optional `user@`. Everything else about the connection belongs in
/// the operator's ssh config.
public enum HostAddress {
    /// Why `value` cannot be a host, or nil when it can.
    public static func problem(_ value: String) -> String? {
        if value.isEmpty { return "it is empty" }
        if value.utf8.count > 255 { return "it is longer than 255 bytes" }
        if value.hasPrefix("-") { return "it starts with '-', which ssh would read as an option" }
        let parts = value.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        let (user, host) = parts.count == 2 ? (Substring?.some(parts[0]), parts[1]) : (nil, parts[0])
        if let user {
            if user.isEmpty || user.hasPrefix("-") || !user.utf8.allSatisfy(isUserByte) {
                return "the user before '@' must be letters, digits, '.', '_' and '-', not starting with '-'"
            }
        }
        if host.isEmpty || host.hasPrefix("-") || host.hasPrefix(".") || !host.utf8.allSatisfy(isHostByte) {
            return "it must be a host name, an IP address or an ssh config alias (letters, digits, '.', '-', '_', and ':' in an IPv6 address), optionally after USER@"
        }
        return nil
    }

    private static func isUserByte(_ c: UInt8) -> Bool { isAlnum(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") }
    private static func isHostByte(_ c: UInt8) -> Bool { isUserByte(c) || c == UInt8(ascii: ":") }
    private static func isAlnum(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
}
