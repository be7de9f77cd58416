#include "api/handlers/qr.hpp"

#include "api/auth.hpp"
#include "api/errors.hpp"
#include "api/handlers/common.hpp"
#include "api/json_io.hpp"
#include "api/service.hpp"
#include "qr/render.hpp"

namespace kassa::api {

namespace json = boost::json;

namespace {

std::string query(const HttpRequest& req, const std::string& key, std::string fallback = {}) {
    auto it = req.query.find(key);
    return it == req.query.end() ? fallback : it->second;
}

// ?format=png|svg (default png), ?size=N pixels per module, ?ec=L|M|Q|H.
qr::RenderOptions render_options(const HttpRequest& req) {
    qr::RenderOptions options;
    if (auto ec = query(req, "ec"); !ec.empty()) {
        auto level = qr::parse_ec_level(ec);
        if (!level) throw ApiError(400, "invalid_field", "ec must be L, M, Q or H", "ec");
        options.ec_level = *level;
    }
    if (auto size = query(req, "size"); !size.empty()) {
        try {
            options.module_size = std::stoi(size);
        } catch (const std::exception&) {
            throw ApiError(400, "invalid_field", "size must be a whole number of pixels", "size");
        }
        if (options.module_size < 1 || options.module_size > 64)
            throw ApiError(400, "invalid_field", "size must be between 1 and 64", "size");
    }
    return options;
}

HttpResponse image(const std::string& payload, const HttpRequest& req) {
    auto format = qr::parse_image_format(query(req, "format", "png"));
    if (!format) throw ApiError(400, "invalid_field", "format must be png or svg", "format");
    auto rendered = qr::render(payload, *format, render_options(req));
    if (!rendered) throw ApiError(422, rendered.error().code, rendered.error().message);
    HttpResponse res;
    res.content_type = rendered->content_type;
    res.body = std::move(rendered->bytes);
    return res;
}

}  // namespace

void add_qr_routes(Router& router, Service& service) {
    router.add("GET", "/v1/receipts/{id}/qr", "The receipt-check QR code of a confirmed receipt (?format=png|svg)",
               {"cashier", "courier"}, [&service](HttpRequest& req) {
                   return guarded([&] {
                       const auto r = visible_receipt(service, req, receipt_id_of(req));
                       if (!r.fiscal || r.fiscal->qr.empty())
                           throw ApiError(409, "receipt_not_confirmed", "the receipt is not fiscalised yet");
                       return image(r.fiscal->qr, req);
                   });
               });

    router.add("GET", "/v1/orders/{id}/payment-qr",
               "A payment QR code for what the order owes or ?amount=: ?kind=gost|sbp, ?format=png|svg|json",
               {"cashier", "courier"}, [&service](HttpRequest& req) {
                   return guarded([&] {
                       const auto view = visible_order(service, req, req.params.at("id"));
                       const auto& order = view.facts.order;
                       fiscal::Kopecks amount = view.owed;
                       if (auto given = query(req, "amount"); !given.empty()) {
                           try {
                               std::size_t used = 0;
                               amount = fiscal::Kopecks{std::stoll(given, &used)};
                               if (used != given.size()) throw std::invalid_argument("amount");
                           } catch (const std::exception&) {
                               throw ApiError(400, "invalid_field", "amount is whole kopecks", "amount");
                           }
                       }
                       if (!amount.is_positive())
                           throw ApiError(409, "nothing_due", "order '" + order.id + "' owes nothing");
                       const EntityInfo* entity = service.entity(order.entity_inn);
                       const std::string kind = query(req, "kind", "gost");
                       std::string payload;
                       json::object out{{"kind", kind}, {"order", order.id}, {"amount", amount.value()}};
                       if (kind == "gost") {
                           if (!entity || !entity->bank)
                               throw ApiError(
                                   422, "bank_requisites_missing",
                                   "legal entity " + order.entity_inn + " has no bank requisites configured");
                           auto built = qr::build_gost_payload(qr::GostPaymentOrder{
                               .payee = *entity->bank, .sum = amount, .purpose = "Оплата заказа №" + order.id});
                           if (!built) throw ApiError(422, built.error().code, built.error().message);
                           payload = *built;
                       } else if (kind == "sbp") {
                           const std::string link = query(req, "link", entity ? entity->sbp_link : std::string{});
                           if (link.empty())
                               throw ApiError(422, "sbp_link_missing",
                                              "no SBP link: configure the bank's link or pass ?link=");
                           auto built = qr::build_sbp_link(
                               qr::SbpRequest{.link = link, .amount = amount, .order = order.id}, qr::SbpConfig{});
                           if (!built) throw ApiError(422, built.error().code, built.error().message);
                           payload = built->url;
                           out["amount_embedded"] = built->amount_embedded;
                       } else {
                           throw ApiError(400, "invalid_field", "kind must be gost or sbp", "kind");
                       }
                       if (query(req, "format") == "json") {
                           out["payload"] = payload;
                           return json_response(200, out);
                       }
                       return image(payload, req);
                   });
               });
}

}  // namespace kassa::api
