// The ATOL driver over a scripted in-memory device speaking either link version: the command
// sequence of a receipt, modes, outcomes, and "maybe executed" when the link dies at the close.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <functional>

#include "drivers/atol/assumptions.hpp"
#include "drivers/atol/driver.hpp"
#include "drivers/atol/errors.hpp"
#include "drivers/registry.hpp"
#include "fiscal/tlv.hpp"
#include "test_hex.hpp"

namespace kassa::drivers::atol {
namespace {

using test::hex;
using test::to_hex;

// A device at the link level. v3: every Add is answered A1 and the result pushed in an F0h packet
// (or, with `in_reply`, returned at once as A3/A4). v2: ENQ → ACK, frame → ACK, EOT → ENQ, ACK →
// answer frame. `answer` returns nullopt to make the device go silent and the link break after it
// took the request (a power cut).
class ScriptedTransport final : public Transport {
  public:
    explicit ScriptedTransport(LinkVersion link) : link_(link) {}
    std::function<std::optional<Bytes>(const Request&)> answer;
    std::vector<Request> requests;
    bool broken = false;
    bool in_reply = false;

    Status open() override {
        open_ = true;
        return ok();
    }
    void close() override { open_ = false; }
    bool is_open() const override { return open_; }
    Status write(std::span<const std::uint8_t> bytes) override {
        if (broken) return fail("link_broken", "gone");
        if (link_ == LinkVersion::V3) {
            v3_.feed(bytes);
            while (auto e = v3_.next()) on_packet(e->packet);
        } else {
            v2_.feed(bytes);
            while (auto e = v2_.next()) on_v2(*e);
        }
        return ok();
    }
    Result<std::size_t> read_some(std::span<std::uint8_t> buffer, std::chrono::milliseconds) override {
        if (pending_.empty()) {
            if (broken) return fail("link_broken", "connection reset");
            return std::size_t{0};
        }
        std::size_t n = 0;
        while (n < buffer.size() && !pending_.empty()) {
            buffer[n++] = pending_.front();
            pending_.pop_front();
        }
        return n;
    }
    std::string describe() const override { return "scripted"; }

    std::vector<std::string> codes() const {
        std::vector<std::string> out;
        for (const auto& r : requests) {
            auto c = to_hex(Bytes{r.code});
            if (r.code == cmd::kFn || r.code == cmd::kEnterMode || r.code == cmd::kWriteTag)
                c += " " + to_hex(Bytes{r.params.at(0)});
            out.push_back(c);
        }
        return out;
    }

  private:
    void push(const Bytes& b) { pending_.insert(pending_.end(), b.begin(), b.end()); }
    std::optional<Bytes> run(std::span<const std::uint8_t> payload) {
        auto req = Request::parse(payload);
        requests.push_back(*req);
        auto a = answer(*req);
        if (!a) broken = true;
        return a;
    }
    void on_packet(const V3Packet& p) {
        auto c = TaskCommand::parse(p.data);
        if (!c) return;
        if (c->code == task::kAbort || c->code == task::kAck) {
            push(encode_v3_packet(p.id, hex("A3")));
            return;
        }
        if (c->code != task::kAdd && c->code != task::kAckAdd) return;
        auto a = run(c->payload);
        if (!a) return;
        const bool error = a->size() > 1 && (*a)[0] == kAnswerPrefix && (*a)[1] != 0;
        if (in_reply) {
            TaskReply r{error ? task::kError : task::kResult, std::nullopt, *a};
            push(encode_v3_packet(p.id, r.encode()));
            return;
        }
        push(encode_v3_packet(p.id, hex("A1")));
        TaskReply r{error ? task::kAsyncError : task::kAsyncResult, c->tid, *a};
        push(encode_v3_packet(kAsyncId, r.encode()));
    }
    void on_v2(const V2Event& e) {
        if (e.kind == V2Event::Kind::Control) {
            if (e.control == kEnq) {
                push({kAck});
            } else if (e.control == kEot && answer_) {
                push({kEnq});
            } else if (e.control == kAck && answer_) {
                push(encode_v2_frame(*answer_));
                answer_.reset();
            }
        } else if (e.kind == V2Event::Kind::Frame) {
            push({kAck});
            answer_ = run(e.data);
        }
    }

    LinkVersion link_;
    bool open_ = false;
    V3Decoder v3_;
    V2Decoder v2_;
    std::optional<Bytes> answer_;
    std::deque<std::uint8_t> pending_;
};

// A register with an open shift in mode 0 that accepts everything.
struct Register {
    std::uint8_t mode = 0;
    std::uint32_t last_fd = 40;
    std::uint8_t receipt_state = 0;
    std::function<std::optional<Bytes>(const Request&)> override_answer;

    std::optional<Bytes> operator()(const Request& r) {
        if (override_answer) {
            if (auto a = override_answer(r)) return a->empty() ? std::nullopt : a;
        }
        Answer ok{};
        switch (r.code) {
            case cmd::kStatus: {
                StatusAnswer s;
                s.mode = mode;
                s.flags = assume::kStatusFlagShiftOpen | assume::kStatusFlagPaperPresent;
                s.receipt_state = receipt_state;
                return Answer{0, 0, s.encode()}.encode(r.code);
            }
            case cmd::kEnterMode:
                mode = r.params.at(0);
                break;
            case cmd::kExitMode:
                mode = 0;
                break;
            case cmd::kOpenReceipt:
                receipt_state = r.params.at(1);
                break;
            case cmd::kCloseReceipt:
                receipt_state = 0;
                ++last_fd;
                break;
            case cmd::kCancelReceipt:
                receipt_state = 0;
                break;
            case cmd::kStatusCode:
                ok.data = StatusCodeAnswer{mode, 0}.encode();
                break;
            case cmd::kFn:
                switch (r.params.at(0)) {
                    case fn::kStatus: {
                        FnStatusAnswer f;
                        f.shift_open = true;
                        f.date_time = {2026, 12, 2, 9, 0};
                        f.fn_number = "9999078900012345";
                        f.last_fd_number = last_fd;
                        ok.data = f.encode();
                        break;
                    }
                    case fn::kShiftParams:
                        ok.data = FnShiftAnswer{true, 3, 2}.encode();
                        break;
                    case fn::kFindDocument: {
                        const auto n = *decode_find_document(std::span(r.params).subspan(1));
                        const auto type = n == 38 ? doc_type::kShiftOpen : doc_type::kReceipt;
                        FnDocumentAnswer d{type, false, {2026, 12, 2, 8, 30}, n, 1000 + n, std::nullopt, std::nullopt};
                        if (type == doc_type::kReceipt) {
                            d.operation = 1;
                            d.amount = 10000;
                        }
                        ok.data = d.encode();
                        break;
                    }
                    case fn::kExpiry:
                        ok.data = FnExpiryAnswer{2028, 3, 31}.encode();
                        break;
                    case fn::kOfdStatus:
                        ok.data = FnOfdAnswer{}.encode();
                        break;
                }
                break;
            default:
                break;
        }
        return ok.encode(r.code);
    }
};

fiscal::Receipt sale() {
    fiscal::Receipt r;
    fiscal::ReceiptLine line;
    line.name = "Товар";
    line.quantity = fiscal::Quantity::whole(1);
    line.price = fiscal::Kopecks{10000};
    line.amount = fiscal::Kopecks{10000};
    line.vat_code = 11;
    line.vat = fiscal::Kopecks{1803};
    r.lines.push_back(line);
    r.payments.electronic = fiscal::Kopecks{10000};
    r.total = fiscal::Kopecks{10000};
    r.cashier = "Иванов";
    r.buyer_contact = "a@b.ru";
    return r;
}

struct Fixture {
    explicit Fixture(LinkVersion link = LinkVersion::V3) {
        auto t = std::make_unique<ScriptedTransport>(link);
        line = t.get();
        line->answer = std::ref(reg);
        DriverOptions o;
        o.link = link;
        o.session.control_timeout = std::chrono::milliseconds{20};
        o.session.poll_interval = std::chrono::milliseconds{5};
        o.session.answer_timeout = std::chrono::milliseconds{200};
        device = std::make_unique<AtolDevice>(std::move(t), o);
    }
    Register reg;
    ScriptedTransport* line = nullptr;
    std::unique_ptr<AtolDevice> device;
};

std::vector<fiscal::Tlv> tags_written(const ScriptedTransport& t, std::uint8_t flags) {
    std::vector<fiscal::Tlv> out;
    for (const auto& r : t.requests) {
        if (r.code != cmd::kWriteTag) continue;
        auto w = WriteTagRequest::decode(r.params);
        if (!w || w->flags != flags) continue;
        auto tlvs = fiscal::decode_tlvs(w->tlv);
        out.insert(out.end(), tlvs->begin(), tlvs->end());
    }
    return out;
}

TEST(AtolDriver, ReceiptCommandSequenceOverV3) {
    Fixture f;
    auto result = f.device->fiscalise(sale());
    ASSERT_TRUE(result) << result.error().to_string();
    auto codes = f.line->codes();
    // The number of document tags depends on the encoder; compare around them.
    std::vector<std::string> shape;
    for (const auto& c : codes) {
        if (c == "E8 00" && !shape.empty() && shape.back() == "E8 00") continue;
        shape.push_back(c);
    }
    EXPECT_EQ(shape, (std::vector<std::string>{"3F", "56 01", "92", "E8 00", "EA", "E8 01", "EB", "99", "4A", "A4 30",
                                               "A4 40", "A4 10"}));
    EXPECT_EQ(result->fd_number, 41u);
    EXPECT_EQ(result->fiscal_sign, 1041u);
    EXPECT_EQ(result->fn_number, "9999078900012345");
    EXPECT_EQ(result->shift_number, 3);

    // Document tags: the contact, cashier and tax system; never what 92h/99h already carry.
    std::vector<std::uint16_t> doc_tags;
    for (const auto& t : tags_written(*f.line, 0)) doc_tags.push_back(t.tag);
    EXPECT_NE(std::find(doc_tags.begin(), doc_tags.end(), 1008), doc_tags.end());
    EXPECT_NE(std::find(doc_tags.begin(), doc_tags.end(), 1021), doc_tags.end());
    EXPECT_NE(std::find(doc_tags.begin(), doc_tags.end(), 1055), doc_tags.end());
    for (const std::uint16_t carried : {1054, 1020, 1031, 1081, 1215}) {
        EXPECT_EQ(std::find(doc_tags.begin(), doc_tags.end(), carried), doc_tags.end()) << carried;
    }
    auto item_tags = tags_written(*f.line, assume::kWriteTagItem);
    ASSERT_EQ(item_tags.size(), 1u);
    EXPECT_EQ(item_tags[0].tag, 2108);

    // EBh carries price, quantity in thousandths, the 1199 code as tax byte, 1212, 1214, name.
    const auto eb = std::find_if(f.line->requests.begin(), f.line->requests.end(),
                                 [](const Request& r) { return r.code == cmd::kEndItem; });
    auto end = EndItemRequest::decode(eb->params);
    ASSERT_TRUE(end);
    EXPECT_EQ(end->price, 10000u);
    EXPECT_EQ(end->quantity_milli, 1000u);
    EXPECT_EQ(end->tax, 11);
    EXPECT_EQ(end->tax_sum, 1803u);
    EXPECT_EQ(end->method, 4);
    EXPECT_EQ(end->name, "Товар");
    const auto pay = std::find_if(f.line->requests.begin(), f.line->requests.end(),
                                  [](const Request& r) { return r.code == cmd::kPayment; });
    EXPECT_EQ(to_hex(pay->params), "00 02 00 00 01 00 00");  // electronic, 100.00
}

TEST(AtolDriver, ResultsInTheReplyWork) {
    Fixture f;
    f.line->in_reply = true;
    auto result = f.device->fiscalise(sale());
    ASSERT_TRUE(result) << result.error().to_string();
    EXPECT_EQ(result->fd_number, 41u);
}

TEST(AtolDriver, ModeChangesLeaveTheOldModeFirst) {
    Fixture f;
    f.reg.mode = mode::kRegistration;
    ASSERT_TRUE(f.device->close_shift("Иванов", ""));
    EXPECT_EQ(f.line->codes(), (std::vector<std::string>{"3F", "48", "56 03", "E8 00", "5A"}));
    f.line->requests.clear();
    ASSERT_TRUE(f.device->x_report());
    EXPECT_EQ(f.line->codes(), (std::vector<std::string>{"3F", "48", "56 02", "67"}));
    f.line->requests.clear();
    ASSERT_TRUE(f.device->x_report());
    EXPECT_EQ(f.line->codes(), (std::vector<std::string>{"3F", "67"}));
    // A register restarted behind our back is in mode 0 again: the mode is entered anew.
    f.reg.mode = mode::kSelect;
    f.line->requests.clear();
    ASSERT_TRUE(f.device->x_report());
    EXPECT_EQ(f.line->codes(), (std::vector<std::string>{"3F", "56 02", "67"}));
}

TEST(AtolDriver, RefusedItemCancelsTheReceipt) {
    Fixture f;
    f.reg.override_answer = [](const Request& r) -> std::optional<Bytes> {
        if (r.code == cmd::kEndItem) return Answer{err::kWrongPrice, 0, {}}.encode(r.code);
        return std::nullopt;
    };
    auto result = f.device->fiscalise(sale());
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().outcome, Outcome::Rejected);
    EXPECT_EQ(result.error().device_code, err::kWrongPrice);
    EXPECT_EQ(result.error().device_text, "wrong price");
    EXPECT_FALSE(result.error().maybe_executed);
    EXPECT_EQ(f.line->codes().back(), "59");
}

TEST(AtolDriver, PaperOutNeedsTheOperator) {
    Fixture f;
    f.reg.override_answer = [](const Request& r) -> std::optional<Bytes> {
        if (r.code == cmd::kOpenReceipt) return Answer{err::kNoPaper, 0, {}}.encode(r.code);
        if (r.code == cmd::kStatusCode)
            return Answer{0, 0, StatusCodeAnswer{1, printer::kNoPaper}.encode()}.encode(r.code);
        return std::nullopt;
    };
    auto result = f.device->fiscalise(sale());
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().outcome, Outcome::NeedsOperator);
    auto cont = f.device->continue_print();
    ASSERT_FALSE(cont);
    EXPECT_EQ(cont.error().outcome, Outcome::NeedsOperator);
    auto st = f.device->status();
    ASSERT_TRUE(st);
    EXPECT_FALSE(st->paper_ok);
}

TEST(AtolDriver, StaleOpenReceiptIsCancelledFirst) {
    Fixture f;
    bool first = true;
    f.reg.override_answer = [&](const Request& r) -> std::optional<Bytes> {
        if (r.code == cmd::kOpenReceipt && first) {
            first = false;
            return Answer{err::kReceiptOpen, 0, {}}.encode(r.code);
        }
        return std::nullopt;
    };
    ASSERT_TRUE(f.device->fiscalise(sale()));
    auto codes = f.line->codes();
    EXPECT_EQ((std::vector<std::string>(codes.begin(), codes.begin() + 5)),
              (std::vector<std::string>{"3F", "56 01", "92", "59", "92"}));
}

TEST(AtolDriver, LinkDyingAtTheCloseIsMaybeExecuted) {
    Fixture f;
    f.reg.override_answer = [](const Request& r) -> std::optional<Bytes> {
        if (r.code == cmd::kCloseReceipt) return Bytes{};  // silent: the link breaks
        return std::nullopt;
    };
    auto result = f.device->fiscalise(sale());
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().outcome, Outcome::RetryLater);
    EXPECT_TRUE(result.error().maybe_executed);
}

TEST(AtolDriver, BadInputIsRefusedBeforeAnyByte) {
    Fixture f;
    auto r = sale();
    r.lines[0].quantity = fiscal::Quantity::from_micro(1'000'500);  // 1.0005: four decimals
    r.lines[0].amount = fiscal::Kopecks{10005};
    r.payments.electronic = r.total = fiscal::Kopecks{10005};
    auto result = f.device->fiscalise(r);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().outcome, Outcome::Rejected);
    EXPECT_TRUE(f.line->requests.empty());
    auto cash = f.device->cash_in(fiscal::Kopecks{-1}, "Иванов");
    ASSERT_FALSE(cash);
    EXPECT_EQ(cash.error().outcome, Outcome::Rejected);
    EXPECT_TRUE(f.line->requests.empty());
}

TEST(AtolDriver, CashInAndOut) {
    Fixture f;
    ASSERT_TRUE(f.device->cash_in(fiscal::Kopecks{50000}, "Иванов"));
    ASSERT_TRUE(f.device->cash_out(fiscal::Kopecks{12345}, ""));
    EXPECT_EQ(f.line->codes(), (std::vector<std::string>{"3F", "56 01", "E8 00", "49", "3F", "4F"}));
    EXPECT_EQ(to_hex(f.line->requests[3].params), "00 00 00 05 00 00");
    EXPECT_EQ(to_hex(f.line->requests[5].params), "00 00 00 01 23 45");
}

TEST(AtolDriver, StatusReadsModesShiftAndFn) {
    Fixture f;
    f.reg.mode = 0x21;  // sub-mode 2, mode 1
    auto st = f.device->status();
    ASSERT_TRUE(st) << st.error().to_string();
    EXPECT_EQ(st->mode, 1);
    EXPECT_EQ(st->submode, 2);
    EXPECT_TRUE(st->shift_open);
    EXPECT_EQ(st->shift_number, 3);
    EXPECT_EQ(st->fn_number, "9999078900012345");
    EXPECT_EQ(st->last_fd_number, 40u);
    EXPECT_TRUE(st->paper_ok);
    ASSERT_TRUE(st->shift_opened_at.has_value());  // document 38 is the shift-open report
    EXPECT_FALSE(st->shift_expired);
    ASSERT_TRUE(st->fn_expiry.has_value());
}

TEST(AtolDriver, DocumentsForRecovery) {
    Fixture f;
    auto last = f.device->last_document();
    ASSERT_TRUE(last);
    EXPECT_EQ(last->number, 40u);
    EXPECT_EQ(last->calc_sign, fiscal::CalcSign::Income);
    EXPECT_EQ(last->total, fiscal::Kopecks{10000});
    auto open = f.device->document_by_number(38);
    ASSERT_TRUE(open);
    EXPECT_EQ(open->type, doc_type::kShiftOpen);
    EXPECT_FALSE(open->total.has_value());
}

TEST(AtolDriver, WorksOverTheV2Link) {
    Fixture f(LinkVersion::V2);
    auto result = f.device->fiscalise(sale());
    ASSERT_TRUE(result) << result.error().to_string();
    EXPECT_EQ(result->fd_number, 41u);
    ASSERT_TRUE(f.device->print_text({"Спасибо за покупку", "№ 5, $"}));
    ASSERT_TRUE(f.device->print_qr("t=20261202T0900&s=100.00"));
    ASSERT_TRUE(f.device->cut());
    ASSERT_TRUE(f.device->repeat_document());
    auto codes = f.line->codes();
    EXPECT_EQ((std::vector<std::string>(codes.end() - 5, codes.end())),
              (std::vector<std::string>{"4C", "4C", "C1", "75", "95"}));
}

TEST(AtolDriver, OptionsFromUriAndRegistry) {
    auto uri = parse_uri("tcp://127.0.0.1:5555?link=v2&password=29&poll_ms=7");
    ASSERT_TRUE(uri);
    auto o = options_from_uri(*uri);
    ASSERT_TRUE(o);
    EXPECT_EQ(o->link, LinkVersion::V2);
    EXPECT_EQ(o->password, 29u);
    EXPECT_EQ(o->session.poll_interval, std::chrono::milliseconds{7});
    auto bad = options_from_uri(*parse_uri("tcp://127.0.0.1:5555?link=v4"));
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, "invalid_uri");
    EXPECT_TRUE(make_device("atol", "tcp://127.0.0.1:5555?link=v3"));
    EXPECT_FALSE(make_device("atol", "tcp://127.0.0.1:5555?link=x"));
}

}  // namespace
}  // namespace kassa::drivers::atol
