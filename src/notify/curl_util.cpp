#include "notify/curl_util.hpp"

#include <mutex>

namespace kassa::notify::detail {

void ensure_curl_initialised() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool slist_append(Slist& list, const std::string& item) {
    curl_slist* next = curl_slist_append(list.get(), item.c_str());
    if (next == nullptr) return false;
    (void)list.release();
    list.reset(next);
    return true;
}

bool is_transient(CURLcode code) {
    switch (code) {
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
        case CURLE_NOT_BUILT_IN:
        case CURLE_LOGIN_DENIED:
        case CURLE_BAD_FUNCTION_ARGUMENT:
        case CURLE_UNKNOWN_OPTION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_USE_SSL_FAILED:
        case CURLE_FILESIZE_EXCEEDED:
            return false;
        default:
            return true;
    }
}

}  // namespace kassa::notify::detail
