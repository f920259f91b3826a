internal import CCurl

/// libcurl's global state must be set up once, before any handle exists.
let curlReady: Bool = {
    curl_global_init(Int(CURL_GLOBAL_DEFAULT))
    return true
}()

public enum Curl {
    /// The libcurl version linked in, for `--version` reports.
    public static var libraryVersion: String {
        _ = curlReady
        guard let info = ccurl_version_info(), let v = info.pointee.version else { return "unknown" }
        return String(cString: v)
    }
}
