internal import CCurl
internal import CLazyLibraries

/// libcurl is opened on first use, not at start-up (CLazyLibraries), and its
/// global state set up once, before any handle exists. Nil when it is ready;
/// else why it cannot be, naming the package to install.
let curlProblem: String? = {
    if let why = muster_curl_unavailable() { return String(cString: why) }
    curl_global_init(Int(CURL_GLOBAL_DEFAULT))
    return nil
}()
