// Bearer tokens and roles. Tokens are known only by their SHA-256 (hex); each carries a name for
// the audit log, a role, and optional bindings to registers or legal entities (INN).
//   admin    everything
//   cashier  office work: receipts, shifts, reports, returns, refunds
//   courier  payments and deliveries for orders, QR codes, its own receipts only
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "api/http.hpp"
#include "api/router.hpp"
#include "common/result.hpp"

namespace kassa::api {

enum class Role { Admin, Cashier, Courier };

std::optional<Role> parse_role(std::string_view text);
std::string_view role_name(Role role);

struct Principal {
    std::string name;
    Role role = Role::Courier;
    std::vector<std::string> registers;  // empty: any register
    std::vector<std::string> entities;   // empty: any legal entity
    std::string token_sha256;            // the token's digest (set by TokenStore): streams per token, revocation
    std::int64_t token_id = 0;           // the ledger's id of an issued token; 0 for a config token

    bool may_use_register(std::string_view id) const;
    bool may_use_entity(std::string_view inn) const;
    // Bound to registers or entities: what it reaches is decided by api/authz.hpp.
    bool bound() const { return !registers.empty() || !entities.empty(); }
};

// Lower-case hex SHA-256 of the token text.
std::string sha256_hex(std::string_view text);

// 32 random bytes as 64 hex characters (OpenSSL's CSPRNG).
std::string random_token();

// Every token kassad knows: the config file's (fixed at start) and the ones it issued (kept in the
// ledger, added and revoked while it runs). Thread-safe: requests read it while tokens change.
class TokenStore {
  public:
    // `sha256` is the hex digest of the token (either case). Fails on a malformed digest or a
    // digest given twice.
    Status add(std::string sha256, Principal principal);
    // An issued token (principal.token_id set): added at start for every unrevoked one in the
    // ledger, and when one is made.
    Status add_issued(std::string sha256, Principal principal);
    // Forgets an issued token: from now on it is answered 401. Config tokens cannot be removed.
    void revoke(const std::string& sha256);
    // The principal for "Authorization: Bearer <token>", or a 401 error code.
    Result<Principal> authenticate(const HttpRequest& req) const;
    // The principal for a token itself (HTTP Basic's password), or a 401 error code.
    Result<Principal> authenticate_token(std::string_view token) const;
    bool empty() const;

  private:
    Status insert(std::string sha256, Principal principal);
    mutable std::shared_mutex mutex_;
    std::map<std::string, Principal> by_hash_;
};

// Installs authentication and role checks on a router: every route that is not open needs a
// valid token (401 otherwise) with one of the route's roles (403 otherwise; admin passes every
// role check). The principal is attached to the request; headers "x-kassa-principal" and
// "x-kassa-role" a client sends are dropped so nothing downstream can be fooled by them.
void install_auth(Router& router, const TokenStore& tokens);

// The rest of an auth guard once the caller's credentials were read: a failed `principal` is 401
// (with `challenge` in WWW-Authenticate); else the principal is attached to the request and the
// route's roles are checked (403). Shared by install_auth and the compat listeners' Basic auth.
std::optional<HttpResponse> admit(HttpRequest& req, const RouteInfo& route, Result<Principal> principal,
                                  const std::string& challenge);

// The principal the auth hook attached to a request (only inside handlers of non-open routes).
const Principal& principal_of(const HttpRequest& req);

}  // namespace kassa::api
