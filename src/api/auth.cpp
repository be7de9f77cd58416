#include "api/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <mutex>
#include <stdexcept>

#include "api/errors.hpp"

namespace kassa::api {

namespace {

constexpr const char* kPrincipalHeader = "x-kassa-principal";

std::string to_hex(const unsigned char* data, std::size_t size) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out.push_back(kDigits[data[i] >> 4]);
        out.push_back(kDigits[data[i] & 0x0F]);
    }
    return out;
}

}  // namespace

std::optional<Role> parse_role(std::string_view text) {
    if (text == "admin") return Role::Admin;
    if (text == "cashier") return Role::Cashier;
    if (text == "courier") return Role::Courier;
    return std::nullopt;
}

std::string_view role_name(Role role) {
    switch (role) {
        case Role::Admin:
            return "admin";
        case Role::Cashier:
            return "cashier";
        case Role::Courier:
            return "courier";
    }
    return "unknown";
}

bool Principal::may_use_register(std::string_view id) const {
    return registers.empty() || std::ranges::find(registers, id) != registers.end();
}

bool Principal::may_use_entity(std::string_view inn) const {
    return entities.empty() || std::ranges::find(entities, inn) != entities.end();
}

std::string sha256_hex(std::string_view text) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 failed");
    return to_hex(digest, size);
}

std::string random_token() {
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no randomness for a token");
    return to_hex(bytes, sizeof bytes);
}

Status TokenStore::add(std::string sha256, Principal principal) {
    principal.token_id = 0;
    return insert(std::move(sha256), std::move(principal));
}

Status TokenStore::add_issued(std::string sha256, Principal principal) {
    if (principal.token_id <= 0) return fail("invalid_argument", "an issued token needs its ledger id");
    return insert(std::move(sha256), std::move(principal));
}

Status TokenStore::insert(std::string sha256, Principal principal) {
    std::ranges::transform(sha256, sha256.begin(), [](unsigned char c) { return std::tolower(c); });
    if (sha256.size() != 64 || !std::ranges::all_of(sha256, [](char c) { return std::isxdigit(c); }))
        return fail("config_invalid", "token '" + principal.name + "': sha256 must be 64 hex digits");
    principal.token_sha256 = sha256;
    std::unique_lock lock(mutex_);
    if (by_hash_.contains(sha256)) return fail("config_invalid", "token '" + principal.name + "' is listed twice");
    by_hash_.emplace(std::move(sha256), std::move(principal));
    return ok();
}

void TokenStore::revoke(const std::string& sha256) {
    std::unique_lock lock(mutex_);
    if (auto it = by_hash_.find(sha256); it != by_hash_.end() && it->second.token_id != 0) by_hash_.erase(it);
}

bool TokenStore::empty() const {
    std::shared_lock lock(mutex_);
    return by_hash_.empty();
}

Result<Principal> TokenStore::authenticate(const HttpRequest& req) const {
    const std::string header = req.header("authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (header.empty()) return fail("unauthorized", "an Authorization: Bearer <token> header is required");
    if (header.size() <= kBearer.size() ||
        !std::equal(kBearer.begin(), kBearer.end(), header.begin(),
                    [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
        return fail("unauthorized", "the Authorization header must be 'Bearer <token>'");
    return authenticate_token(std::string_view(header).substr(kBearer.size()));
}

Result<Principal> TokenStore::authenticate_token(std::string_view token) const {
    // The map is searched by the digest of what was presented, so its timing tells nothing about a
    // stored token; the digests are then compared in constant time all the same.
    const auto digest = sha256_hex(token);
    std::shared_lock lock(mutex_);
    const auto it = by_hash_.find(digest);
    if (it == by_hash_.end() || CRYPTO_memcmp(it->first.data(), digest.data(), digest.size()) != 0)
        return fail("unauthorized", "the token is not known");
    return it->second;
}

void install_auth(Router& router, const TokenStore& tokens) {
    router.set_guard([&tokens](HttpRequest& req, const RouteInfo& route) -> std::optional<HttpResponse> {
        req.headers.erase(kPrincipalHeader);
        req.headers.erase("x-kassa-role");
        if (route.open) return std::nullopt;
        // Loopback callers of a local route (GET /metrics) need no token; one they send is checked.
        if (route.loopback && is_loopback_address(req.remote) && req.header("authorization").empty())
            return std::nullopt;
        return admit(req, route, tokens.authenticate(req), "Bearer");
    });
}

std::optional<HttpResponse> admit(HttpRequest& req, const RouteInfo& route, Result<Principal> principal,
                                  const std::string& challenge) {
    if (!principal) {
        auto res = error_response(principal.error());
        res.headers["WWW-Authenticate"] = challenge;
        return res;
    }
    // Attach who it is before the role check, so a refusal is audited with the token's name.
    req.principal = std::make_shared<const Principal>(std::move(*principal));
    const auto role = std::string(role_name(req.principal->role));
    if (!route.roles.empty() && req.principal->role != Role::Admin &&
        std::ranges::find(route.roles, role) == route.roles.end())
        return error_response(403, "forbidden", "role '" + role + "' may not " + route.method + " " + route.pattern);
    return std::nullopt;
}

const Principal& principal_of(const HttpRequest& req) {
    if (!req.principal) throw std::logic_error("principal_of on a request without an authenticated principal");
    return *req.principal;
}

}  // namespace kassa::api
