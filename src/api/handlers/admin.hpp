// POST /v1/admin/backup: an online backup of the ledger (SQLite backup API, consistent while
// receipts keep being written) into <backup_dir>/kassa-<UTC time>.sqlite. Admin tokens without
// bindings only. The file is written by kassad under its own data directory (0600 by its umask);
// the answer names it. Restore is offline (README, "Backup and restore").
#pragma once

#include <filesystem>

#include "api/router.hpp"

namespace kassa {
class Clock;
}

namespace kassa::api {

class Service;

// backup_dir empty: the route answers 503 backup_unavailable.
void add_admin_routes(Router& router, Service& service, std::filesystem::path backup_dir, const Clock* clock);

}  // namespace kassa::api
