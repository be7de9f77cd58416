#include "api/handlers/static_files.hpp"

#include <array>
#include <fstream>
#include <iterator>
#include <utility>

#include "api/errors.hpp"

namespace kassa::api {

namespace {

constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
constexpr std::string_view kRevalidate = "no-cache";

// Only plain file names: letters, digits, '.', '_', '-', and never a leading dot (so neither
// "..", "." nor hidden files). The router has already split the path on '/', after decoding.
bool safe_name(std::string_view name) {
    if (name.empty() || name.size() > 255 || name.front() == '.') return false;
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

HttpResponse not_built(const std::filesystem::path& root) {
    return error_response(404, "web_not_built",
                          "the web pages are not built in " + root.string() +
                              ": run `make build` (or set [server] web_root to the built pages)");
}

// Reads <root>/<dir>/<name>; a file that resolves outside the root (a symlink out) is 404 too.
HttpResponse serve(const std::filesystem::path& root, std::string_view dir, std::string_view name,
                   std::string_view cache_control) {
    std::error_code ec;
    const auto canonical_root = std::filesystem::canonical(root, ec);
    if (ec) return not_built(root);
    if (!safe_name(name)) return error_response(404, "not_found", "no such page");
    auto path = canonical_root;
    if (!dir.empty()) path /= std::filesystem::path(dir);
    path /= std::filesystem::path(name);
    const auto resolved = std::filesystem::canonical(path, ec);
    if (ec || !std::filesystem::is_regular_file(resolved, ec)) return error_response(404, "not_found", "no such page");
    const auto rel = resolved.lexically_relative(canonical_root);
    if (rel.empty() || *rel.begin() == "..") return error_response(404, "not_found", "no such page");

    std::ifstream in(resolved, std::ios::binary);
    if (!in) return error_response(404, "not_found", "no such page");
    HttpResponse res;
    res.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    res.content_type = std::string(content_type_for(name));
    res.headers["Cache-Control"] = std::string(cache_control);
    res.headers["X-Content-Type-Options"] = "nosniff";
    if (res.content_type.starts_with("text/html")) {
        // The pages load only their own bundles and talk only to this server.
        res.headers["Content-Security-Policy"] =
            "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; base-uri 'none'; "
            "frame-ancestors 'none'";
        res.headers["Referrer-Policy"] = "no-referrer";
    }
    return res;
}

}  // namespace

std::string_view content_type_for(std::string_view file_name) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 13> kTypes{{
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".webmanifest", "application/manifest+json"},
        {".map", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".txt", "text/plain; charset=utf-8"},
        {".wasm", "application/wasm"},
    }};
    for (const auto& [ext, type] : kTypes)
        if (file_name.size() > ext.size() && file_name.ends_with(ext)) return type;
    return "application/octet-stream";
}

void add_static_routes(Router& router, std::filesystem::path web_root) {
    router.add(
        "GET", "/", "Where the pages are: redirects to the office dashboard",
        [](HttpRequest&) {
            HttpResponse res;
            res.status = 302;
            res.content_type = "text/plain; charset=utf-8";
            res.headers["Location"] = "/office/";
            res.body = "/office/\n";
            return res;
        },
        /*open=*/true);
    for (const std::string page : {"office", "courier"}) {
        router.add(
            "GET", "/" + page, "The " + page + " page",
            [web_root, page](HttpRequest& req) {
                // "/office" → "/office/": one URL per page, so relative links resolve the same way.
                if (!req.path.ends_with('/')) {
                    HttpResponse res;
                    res.status = 301;
                    res.content_type = "text/plain; charset=utf-8";
                    res.headers["Location"] = "/" + page + "/";
                    res.body = res.headers["Location"] + "\n";
                    return res;
                }
                return serve(web_root, page, "index.html", kRevalidate);
            },
            /*open=*/true);
        router.add(
            "GET", "/" + page + "/{file}", "A file of the " + page + " page",
            [web_root, page](HttpRequest& req) { return serve(web_root, page, req.params.at("file"), kRevalidate); },
            /*open=*/true);
    }
    router.add(
        "GET", "/assets/{file}", "The pages' scripts and styles (content-hashed names)",
        [web_root](HttpRequest& req) { return serve(web_root, "assets", req.params.at("file"), kImmutable); },
        /*open=*/true);
}

}  // namespace kassa::api
