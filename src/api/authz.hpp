// Who may see and touch what (DESIGN.md §4, issue 11): ONE rule per resource, here and nowhere
// else. Roles are checked by the router's guard (api/auth.hpp); this is about bindings.
//
//   registers  a token bound to registers reaches only those; a token bound to entities reaches
//              only the registers of those entities.
//   entities   the entities a token names, narrowed to the entities of its registers when it is
//              bound to registers (a register-bound token works for its registers' entities).
//   orders     those whose CURRENT legal entity is in reach.
//   receipts   those printed (or to be printed) on a register in reach; couriers: only their own.
//   customers  shared by every entity in the ledger. A bound token sees a customer only when the
//              customer has an order or a receipt of an entity in reach, and then only what the
//              entities in reach hold and did for it: their advance balances and journal entries.
//   audit      only tokens without bindings (the log mixes every entity).
//   handovers  a courier's cash handed to the office: those of an entity in reach (the courier's
//              own cash is read through /v1/couriers/me, never another courier's).
// Anything out of reach is answered 404, exactly like something that does not exist, so a token
// cannot learn what other entities have.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "api/auth.hpp"
#include "fiscal/receipt.hpp"
#include "ledger/ledger.hpp"

namespace kassa::api {

// The legal entity (INN) of a register id; empty when the register is not configured.
using EntityOfRegister = std::function<std::string(const std::string& register_id)>;

class Scope {
  public:
    // `registers` lists every configured register (to narrow a register-bound token's entities).
    Scope(const Principal& who, const std::vector<std::string>& registers, EntityOfRegister entity_of);

    bool unrestricted() const { return !who_.bound(); }
    bool entity(std::string_view inn) const;
    bool register_id(const std::string& id) const;
    bool order(const fiscal::Order& order) const;
    bool receipt(const ledger::ReceiptRecord& r) const;
    // `entities`: the entities of the customer's orders and receipts (Ledger::customer_entities).
    bool customer(const std::vector<std::string>& entities) const;
    bool audit() const { return unrestricted(); }
    bool handover(const ledger::Handover& h) const { return entity(h.entity_inn); }
    const Principal& principal() const { return who_; }

  private:
    const Principal& who_;
    EntityOfRegister entity_of_;
    bool any_entity_ = true;
    std::set<std::string, std::less<>> entities_;  // when !any_entity_
};

}  // namespace kassa::api
