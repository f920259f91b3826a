internal import CCurl

/// libcurl's global state must be set up once, before any handle exists.
let curlReady: Bool = {
    curl_global_init(Int(CURL_GLOBAL_DEFAULT))
    return true
}()
