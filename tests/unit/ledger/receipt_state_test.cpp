// The receipt life (DESIGN.md §2) exhaustively: every (state, event) pair is either one of the
// six allowed transitions or refused with illegal_transition.
#include "ledger/receipt_state.hpp"

#include <gtest/gtest.h>

#include <map>
#include <utility>

namespace kassa::ledger {
namespace {

using S = ReceiptState;
using E = ReceiptEvent;

const std::map<std::pair<S, E>, S>& allowed() {
    static const std::map<std::pair<S, E>, S> table{
        {{S::Planned, E::Send}, S::Sending},       {{S::Planned, E::Fail}, S::Failed},
        {{S::Sending, E::Confirm}, S::Confirmed},  {{S::Sending, E::Fail}, S::Failed},
        {{S::Sending, E::LoseLink}, S::Uncertain}, {{S::Uncertain, E::Confirm}, S::Confirmed},
        {{S::Uncertain, E::Fail}, S::Failed},
    };
    return table;
}

TEST(ReceiptState, EveryPairIsAllowedOrRefused) {
    int refused = 0;
    for (S s : kAllReceiptStates) {
        for (E e : kAllReceiptEvents) {
            const auto result = transition(s, e);
            const auto it = allowed().find({s, e});
            if (it != allowed().end()) {
                ASSERT_TRUE(result.has_value()) << to_string(s) << " + " << to_string(e);
                EXPECT_EQ(*result, it->second) << to_string(s) << " + " << to_string(e);
            } else {
                ASSERT_FALSE(result.has_value()) << to_string(s) << " + " << to_string(e);
                EXPECT_EQ(result.error().code, "illegal_transition");
                ++refused;
            }
        }
    }
    EXPECT_EQ(refused, 5 * 4 - 7);
}

TEST(ReceiptState, FinalStatesAcceptNothing) {
    for (S s : {S::Confirmed, S::Failed}) {
        EXPECT_TRUE(is_final(s));
        for (E e : kAllReceiptEvents) EXPECT_FALSE(transition(s, e).has_value());
    }
    EXPECT_FALSE(is_final(S::Planned));
    EXPECT_FALSE(is_final(S::Sending));
    EXPECT_FALSE(is_final(S::Uncertain));
}

TEST(ReceiptState, PlannedCannotBeConfirmedWithoutBeingSent) {
    EXPECT_FALSE(transition(S::Planned, E::Confirm).has_value());
    EXPECT_FALSE(transition(S::Planned, E::LoseLink).has_value());
}

TEST(ReceiptState, UncertainIsNeverResentBlindly) {
    EXPECT_FALSE(transition(S::Uncertain, E::Send).has_value());
    EXPECT_FALSE(transition(S::Uncertain, E::LoseLink).has_value());
}

TEST(ReceiptState, RefusalNamesStateAndEvent) {
    const auto r = transition(S::Confirmed, E::Send);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("confirmed"), std::string::npos);
    EXPECT_NE(r.error().message.find("send"), std::string::npos);
}

TEST(ReceiptState, NamesRoundTrip) {
    for (S s : kAllReceiptStates) EXPECT_EQ(parse_receipt_state(to_string(s)), s);
    EXPECT_FALSE(parse_receipt_state("done").has_value());
    EXPECT_FALSE(parse_receipt_state("").has_value());
}

}  // namespace
}  // namespace kassa::ledger
