#include "api/authz.hpp"

#include <algorithm>

namespace kassa::api {

Scope::Scope(const Principal& who, const std::vector<std::string>& registers, EntityOfRegister entity_of)
    : who_(who), entity_of_(std::move(entity_of)) {
    if (!who.entities.empty()) {
        any_entity_ = false;
        entities_.insert(who.entities.begin(), who.entities.end());
    }
    if (!who.registers.empty()) {
        // A register-bound token works for the entities of its registers (and of its entity
        // binding, when it has both).
        std::set<std::string, std::less<>> of_registers;
        for (const auto& id : registers)
            if (who.may_use_register(id)) of_registers.insert(entity_of_(id));
        if (any_entity_) {
            entities_ = std::move(of_registers);
        } else {
            std::erase_if(entities_, [&](const std::string& inn) { return !of_registers.contains(inn); });
        }
        any_entity_ = false;
    }
}

bool Scope::entity(std::string_view inn) const { return any_entity_ || (!inn.empty() && entities_.contains(inn)); }

bool Scope::register_id(const std::string& id) const {
    if (!who_.may_use_register(id)) return false;
    const auto inn = entity_of_(id);
    return !inn.empty() && entity(inn);
}

bool Scope::order(const fiscal::Order& order) const { return entity(order.entity_inn); }

bool Scope::receipt(const ledger::ReceiptRecord& r) const {
    if (who_.role == Role::Courier && r.created_by != who_.name) return false;
    return unrestricted() || register_id(r.register_id);
}

bool Scope::customer(const std::vector<std::string>& entities) const {
    return any_entity_ || std::ranges::any_of(entities, [&](const std::string& inn) { return entity(inn); });
}

}  // namespace kassa::api
