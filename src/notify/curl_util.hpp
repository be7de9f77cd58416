// libcurl plumbing shared by the senders (internal to src/notify).
#pragma once

#include <curl/curl.h>

#include <memory>
#include <string>

namespace kassa::notify::detail {

// curl_global_init exactly once per process, before the first easy handle.
void ensure_curl_initialised();

struct EasyDeleter {
    void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// Appends to an slist owned by `list`; returns false on allocation failure.
bool slist_append(Slist& list, const std::string& item);

// Whether a transfer error is worth retrying: the network, DNS, TLS handshake or a timeout,
// as opposed to a malformed URL, an unsupported protocol or a refused login.
bool is_transient(CURLcode code);

}  // namespace kassa::notify::detail
