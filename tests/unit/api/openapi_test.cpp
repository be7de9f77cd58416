// The OpenAPI document (src/api/openapi.json) against the router kassad builds: every route is in
// the document with its security and roles, and the document names no route the router lacks.
#include "api/handlers/openapi.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "api/auth.hpp"
#include "api/handlers/business.hpp"
#include "api/handlers/health.hpp"
#include "api/handlers/qr.hpp"
#include "api/routes.hpp"
#include "api/service.hpp"
#include "common/clock.hpp"
#include "drivers/worker/pool.hpp"
#include "ledger/ledger.hpp"

namespace kassa::api {
namespace {

namespace json = boost::json;

const std::vector<std::string> kHttpMethods{"get", "put", "post", "delete", "options", "head", "patch", "trace"};

std::string lower(std::string s) {
    std::ranges::transform(s, s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string upper(std::string s) {
    std::ranges::transform(s, s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return s;
}

std::string route_name(const std::string& method, const std::string& pattern) { return method + " " + pattern; }

// The routes kassad registers (api::add_api_routes, as src/app/app.cpp does), over a real ledger
// file and no registers.
// add_business_routes only keeps a reference to the Service, so nothing here touches a device.
class KassadRoutes {
  public:
    explicit KassadRoutes(const std::string& name)
        : file_((std::filesystem::path(KASSA_TEST_TMP_DIR) / "openapi" / (name + ".sqlite")).string()) {
        std::filesystem::create_directories(std::filesystem::path(file_).parent_path());
        remove_files();
        ledger_ = ledger::Ledger::open(file_, SystemClock::instance());
        service_ = std::make_unique<Service>(ServiceOptions{}, *ledger_, pool_, SystemClock::instance());
        add_api_routes(router, *service_, tokens_,
                       HealthSource{.version = "test",
                                    .clock = &SystemClock::instance(),
                                    .started = SystemClock::instance().steady_now(),
                                    .registers = {}});
    }

    ~KassadRoutes() {
        router = Router{};  // its handlers refer to the service
        service_.reset();
        ledger_.reset();
        remove_files();
    }

    Router router;

  private:
    TokenStore tokens_;
    void remove_files() const {
        for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file_ + suffix);
    }

    std::string file_;
    std::unique_ptr<ledger::Ledger> ledger_;
    drivers::RegisterPool pool_;
    std::unique_ptr<Service> service_;
};

// Follows "#/a/b/c" inside the document; null when it does not resolve.
const json::value* resolve(const json::value& doc, std::string_view ref) {
    if (!ref.starts_with("#/")) return nullptr;
    const json::value* at = &doc;
    ref.remove_prefix(2);
    while (true) {
        const auto slash = ref.find('/');
        std::string key(ref.substr(0, slash));
        for (std::size_t i = 0; (i = key.find('~', i)) != std::string::npos; ++i)
            key.replace(i, 2, key.compare(i, 2, "~1") == 0 ? "/" : "~");
        if (!at->is_object()) return nullptr;
        at = at->as_object().if_contains(key);
        if (!at) return nullptr;
        if (slash == std::string_view::npos) return at;
        ref.remove_prefix(slash + 1);
    }
}

// The value itself, or what its "$ref" points at.
const json::value& deref(const json::value& doc, const json::value& v) {
    if (v.is_object())
        if (const auto* ref = v.as_object().if_contains("$ref"); ref && ref->is_string())
            if (const auto* target = resolve(doc, ref->as_string())) return *target;
    return v;
}

class OpenApi : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        // One file per process: ctest may run these tests in parallel.
        kassad_ = std::make_unique<KassadRoutes>("routes-" + std::to_string(::getpid()));
        doc_ = json::parse(openapi_document());
    }
    static void TearDownTestSuite() { kassad_.reset(); }

    static const Router& router() { return kassad_->router; }
    static const json::object& doc() { return doc_.as_object(); }
    static const json::object& paths() { return doc().at("paths").as_object(); }

    // The operation for a route, or null.
    static const json::object* operation(const std::string& method, const std::string& pattern) {
        const auto* item = paths().if_contains(pattern);
        if (!item || !item->is_object()) return nullptr;
        const auto* op = item->as_object().if_contains(lower(method));
        return op && op->is_object() ? &op->as_object() : nullptr;
    }

    // Parameters of an operation and of its path item, resolved, as (in, name) → parameter.
    static std::map<std::pair<std::string, std::string>, json::object> parameters(const std::string& method,
                                                                                  const std::string& pattern) {
        std::map<std::pair<std::string, std::string>, json::object> out;
        auto collect = [&](const json::object& holder) {
            if (const auto* list = holder.if_contains("parameters"))
                for (const auto& p : list->as_array()) {
                    const auto& param = deref(doc_, p).as_object();
                    out[{std::string(param.at("in").as_string()), std::string(param.at("name").as_string())}] = param;
                }
        };
        collect(paths().at(pattern).as_object());
        collect(*operation(method, pattern));
        return out;
    }

    // What a POST answers without an Idempotency-Key and with an empty body (no handler gets as
    // far as the service or a device that way).
    static HttpResponse probe(const std::string& method, const std::string& pattern, const std::string& query,
                              const std::string& key) {
        HttpRequest req;
        req.method = method;
        std::string path = pattern;
        for (std::size_t open; (open = path.find('{')) != std::string::npos;)
            path.replace(open, path.find('}', open) - open + 1, "x");
        req.target = path + query;
        split_target(req.target, req.path, req.query);
        if (!key.empty()) req.headers["idempotency-key"] = key;
        return kassad_->router.route(req);
    }

    static std::unique_ptr<KassadRoutes> kassad_;
    static json::value doc_;
};

std::unique_ptr<KassadRoutes> OpenApi::kassad_;
json::value OpenApi::doc_;

TEST_F(OpenApi, ParsesAndDeclaresOpenApi31) {
    const auto& version = doc().at("openapi");
    ASSERT_TRUE(version.is_string());
    EXPECT_TRUE(version.as_string().starts_with("3.1.")) << "openapi is " << version.as_string();
    EXPECT_TRUE(doc().at("info").as_object().contains("title"));
    EXPECT_TRUE(doc().at("info").as_object().contains("version"));
    const auto& bearer = doc().at("components").at("securitySchemes").at("bearer").as_object();
    EXPECT_EQ(bearer.at("type").as_string(), "http");
    EXPECT_EQ(bearer.at("scheme").as_string(), "bearer");
}

TEST_F(OpenApi, EveryRouteIsInTheDocument) {
    ASSERT_FALSE(router().routes().empty());
    for (const auto& r : router().routes())
        EXPECT_NE(operation(r.method, r.pattern), nullptr) << "route " << route_name(r.method, r.pattern) << " (\""
                                                           << r.summary << "\") is missing from src/api/openapi.json";
}

TEST_F(OpenApi, EveryDocumentedOperationIsARoute) {
    std::set<std::string> routes;
    for (const auto& r : router().routes()) routes.insert(route_name(r.method, r.pattern));
    for (const auto& [path, item] : paths()) {
        ASSERT_TRUE(item.is_object()) << path;
        bool any = false;
        for (const auto& method : kHttpMethods) {
            if (!item.as_object().contains(method)) continue;
            any = true;
            const auto name = route_name(upper(method), std::string(path));
            EXPECT_TRUE(routes.contains(name))
                << "src/api/openapi.json documents " << name << ", which the router does not have";
        }
        EXPECT_TRUE(any) << "path " << path << " has no operation";
    }
}

TEST_F(OpenApi, OpenRoutesNeedNoTokenOthersNeedBearer) {
    const auto& global = doc().at("security");
    std::size_t open = 0;
    for (const auto& r : router().routes()) {
        const auto* op = operation(r.method, r.pattern);
        if (!op) continue;  // reported by EveryRouteIsInTheDocument
        const auto name = route_name(r.method, r.pattern);
        const auto* security = op->if_contains("security");
        const auto& effective = security ? *security : global;
        ASSERT_TRUE(effective.is_array()) << name;
        if (r.open) {
            ++open;
            EXPECT_NE(security, nullptr) << name << " is open: it needs \"security\": []";
            EXPECT_TRUE(effective.as_array().empty()) << name << " is open but the document asks for a token";
        } else {
            EXPECT_FALSE(effective.as_array().empty()) << name << " needs a token but the document has none";
            // Every alternative must include the bearer token: no anonymous `{}` way in.
            for (const auto& alt : effective.as_array())
                EXPECT_TRUE(alt.as_object().contains("bearer")) << name << " allows a way in without bearer";
            EXPECT_TRUE(op->at("responses").as_object().contains("401")) << name << " does not document 401";
        }
    }
    // /v1/health, /v1/openapi.json and the web pages (/, /office, /courier, their files, /assets/{file}).
    EXPECT_EQ(open, 8u) << "only health, this document and the web pages are open";
}

TEST_F(OpenApi, RolesMatchTheRouter) {
    for (const auto& r : router().routes()) {
        const auto* op = operation(r.method, r.pattern);
        if (!op) continue;
        const auto name = route_name(r.method, r.pattern);
        const auto* roles = op->if_contains("x-kassa-roles");
        ASSERT_NE(roles, nullptr) << name << " has no x-kassa-roles";
        ASSERT_TRUE(roles->is_array()) << name;
        std::vector<std::string> documented;
        for (const auto& role : roles->as_array()) documented.emplace_back(role.as_string());
        std::vector<std::string> registered = r.roles;
        std::ranges::sort(documented);
        std::ranges::sort(registered);
        EXPECT_EQ(documented, registered) << "x-kassa-roles of " << name;
        for (const auto& role : registered) EXPECT_TRUE(parse_role(role).has_value()) << name << ": " << role;
    }
}

TEST_F(OpenApi, PathTemplatesHaveTheirParameters) {
    for (const auto& r : router().routes()) {
        if (!operation(r.method, r.pattern)) continue;
        const auto name = route_name(r.method, r.pattern);
        std::set<std::string> in_template;
        for (std::size_t open = 0; (open = r.pattern.find('{', open)) != std::string::npos; ++open)
            in_template.insert(r.pattern.substr(open + 1, r.pattern.find('}', open) - open - 1));
        std::set<std::string> declared;
        for (const auto& [key, param] : parameters(r.method, r.pattern)) {
            if (key.first != "path") continue;
            declared.insert(key.second);
            EXPECT_TRUE(param.contains("required") && param.at("required").as_bool())
                << name << ": path parameter " << key.second << " must be required";
        }
        EXPECT_EQ(declared, in_template) << name;
    }
}

// The handlers decide who needs an Idempotency-Key and who honours ?wait: ask them, then the document.
TEST_F(OpenApi, IdempotencyKeyAndWaitAreDocumentedWhereHandlersUseThem) {
    for (const auto& r : router().routes()) {
        if (r.method != "POST" || !operation(r.method, r.pattern)) continue;
        const auto name = route_name(r.method, r.pattern);
        const auto params = parameters(r.method, r.pattern);

        const auto no_key = probe(r.method, r.pattern, "", "");
        const bool needs_key = no_key.body.find("\"idempotency_key_required\"") != std::string::npos;
        const auto key = params.find({"header", "Idempotency-Key"});
        if (needs_key) {
            ASSERT_NE(key, params.end()) << name << " requires an Idempotency-Key the document does not name";
            EXPECT_TRUE(key->second.at("required").as_bool()) << name << ": Idempotency-Key must be required";
        } else {
            EXPECT_EQ(key, params.end()) << name << " takes no Idempotency-Key but the document names one";
        }

        const auto bad_wait = probe(r.method, r.pattern, "?wait=soon", "openapi-test");
        const bool takes_wait = bad_wait.body.find("\"field\":\"wait\"") != std::string::npos;
        EXPECT_EQ(params.contains({"query", "wait"}), takes_wait)
            << name
            << (takes_wait ? " honours ?wait but the document does not say so"
                           : " ignores ?wait but the document offers it");

        // What makes receipts answers with the receipts envelope; a register operation that makes none
        // (cash in / out, a copy: api/operations.hpp) with its own record.
        if (needs_key) {
            const auto& responses = operation(r.method, r.pattern)->at("responses").as_object();
            const bool register_operation =
                r.pattern.ends_with("/cash-in") || r.pattern.ends_with("/cash-out") || r.pattern.ends_with("/copy");
            const auto* expected = resolve(doc_, register_operation ? "#/components/schemas/RegisterOperation"
                                                                    : "#/components/schemas/ReceiptsEnvelope");
            for (const char* status : {"200", "202"}) {
                ASSERT_TRUE(responses.contains(status)) << name << " lacks " << status;
                const auto& schema =
                    deref(doc_, deref(doc_, responses.at(status)).at("content").at("application/json").at("schema"));
                EXPECT_EQ(&schema, expected) << name << " " << status;
            }
        }
    }
}

// Bodies are read strictly (unknown fields are 400): every object schema a request body reaches says so.
TEST_F(OpenApi, RequestBodiesRefuseUnknownFields) {
    std::function<void(const json::value&, const std::string&, std::set<const json::value*>&)> walk =
        [&](const json::value& v, const std::string& where, std::set<const json::value*>& seen) {
            const auto& schema = deref(doc_, v);
            if (!schema.is_object() || !seen.insert(&schema).second) return;
            const auto& o = schema.as_object();
            if (o.contains("properties")) {
                const auto* extra = o.if_contains("additionalProperties");
                EXPECT_TRUE(extra && extra->is_bool() && !extra->as_bool())
                    << where << " accepts unknown fields; add \"additionalProperties\": false";
                for (const auto& [key, sub] : o.at("properties").as_object())
                    walk(sub, where + "." + std::string(key), seen);
            }
            if (const auto* items = o.if_contains("items")) walk(*items, where + "[]", seen);
            for (const char* combo : {"allOf", "oneOf", "anyOf"})
                if (const auto* list = o.if_contains(combo))
                    for (const auto& sub : list->as_array()) walk(sub, where, seen);
        };
    std::size_t bodies = 0;
    for (const auto& r : router().routes()) {
        const auto* op = operation(r.method, r.pattern);
        if (!op || !op->contains("requestBody")) continue;
        ++bodies;
        const auto& body = deref(doc_, op->at("requestBody"));
        std::set<const json::value*> seen;
        walk(body.at("content").at("application/json").at("schema"), route_name(r.method, r.pattern), seen);
    }
    EXPECT_GE(bodies, 10u);
}

TEST_F(OpenApi, EveryRefResolvesAndNoMoneyIsANumber) {
    std::function<void(const json::value&, const std::string&)> walk = [&](const json::value& v,
                                                                           const std::string& where) {
        if (v.is_array()) {
            for (std::size_t i = 0; i < v.as_array().size(); ++i)
                walk(v.as_array()[i], where + "/" + std::to_string(i));
            return;
        }
        if (!v.is_object()) return;
        for (const auto& [key, sub] : v.as_object()) {
            if (key == "$ref" && sub.is_string()) {
                EXPECT_NE(resolve(doc_, sub.as_string()), nullptr) << where << ": $ref " << sub.as_string();
            }
            // No floating point on a money path (DESIGN.md §4): kopecks and counts are integers.
            if (key == "type" && sub.is_string()) {
                EXPECT_NE(sub.as_string(), "number") << where;
            }
            walk(sub, where + "/" + std::string(key));
        }
    };
    walk(doc_, "#");
}

TEST_F(OpenApi, ServesTheDocumentWithoutAToken) {
    Router router;
    add_openapi_route(router);
    TokenStore tokens;  // no tokens at all: only open routes answer 200
    install_auth(router, tokens);
    HttpRequest req;
    req.method = "GET";
    req.target = "/v1/openapi.json";
    split_target(req.target, req.path, req.query);
    const auto res = router.route(req);
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.content_type, "application/json");
    EXPECT_EQ(res.body, openapi_document());

    // The embedded bytes are the file's bytes.
    std::ifstream file(KASSA_OPENAPI_JSON, std::ios::binary);
    ASSERT_TRUE(file) << KASSA_OPENAPI_JSON;
    std::ostringstream text;
    text << file.rdbuf();
    EXPECT_EQ(res.body, text.str());
}

}  // namespace
}  // namespace kassa::api
