#include "api/handlers/admin.hpp"

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <system_error>

#include "api/errors.hpp"
#include "api/handlers/common.hpp"
#include "api/service.hpp"
#include "common/clock.hpp"

namespace kassa::api {
namespace {

// kassa-20261202T075512.345Z.sqlite: UTC to the millisecond, so two backups in one second do not
// collide, and names sort by time.
std::string backup_name(std::chrono::system_clock::time_point now) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &utc);
    char millis[8];
    std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(ms % 1000));
    return std::string("kassa-") + stamp + millis + ".sqlite";
}

}  // namespace

void add_admin_routes(Router& router, Service& service, std::filesystem::path backup_dir, const Clock* clock) {
    router.add("POST", "/v1/admin/backup", "Online backup of the ledger into the data directory's backups/", {"admin"},
               [&service, dir = std::move(backup_dir), clock](HttpRequest& req) {
                   return guarded([&] {
                       if (!scope_of(service, req).audit())
                           throw ApiError(404, "not_found", "backups are for tokens without bindings");
                       if (dir.empty()) throw ApiError(503, "backup_unavailable", "no backup directory is configured");
                       std::error_code ec;
                       std::filesystem::create_directories(dir, ec);
                       if (ec)
                           throw ApiError(500, "backup_failed", "cannot create " + dir.string() + ": " + ec.message());
                       const auto path = dir / backup_name(clock ? clock->now() : SystemClock::instance().now());
                       if (std::filesystem::exists(path))
                           throw ApiError(409, "backup_exists", "a backup of this moment exists: try again");
                       try {
                           service.ledger().backup(path.string());
                       } catch (const std::exception& e) {
                           std::filesystem::remove(path, ec);
                           throw ApiError(500, "backup_failed", e.what());
                       }
                       const auto bytes = std::filesystem::file_size(path, ec);
                       return json_response(200, boost::json::object{{"path", path.string()},
                                                                     {"bytes", ec ? std::uintmax_t{0} : bytes}});
                   });
               });
}

}  // namespace kassa::api
