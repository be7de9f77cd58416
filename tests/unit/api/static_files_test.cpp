// The web pages' route: content types, caching, redirects, and no way out of the web root.
#include "api/handlers/static_files.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "api/http.hpp"
#include "api/router.hpp"

namespace kassa::api {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

HttpResponse get(const Router& router, const std::string& target) {
    HttpRequest req;
    req.method = "GET";
    req.target = target;
    split_target(req.target, req.path, req.query);
    return router.route(req);
}

class StaticFiles : public ::testing::Test {
  protected:
    void SetUp() override {
        base_ = fs::path(KASSA_TEST_TMP_DIR) /
                ("static-" + std::string(testing::UnitTest::GetInstance()->current_test_info()->name()));
        fs::remove_all(base_);
        root_ = base_ / "dist";
        write(root_ / "office" / "index.html", "<!doctype html><title>office</title>");
        write(root_ / "courier" / "index.html", "<!doctype html><title>courier</title>");
        write(root_ / "courier" / "manifest.webmanifest", "{}");
        write(root_ / "assets" / "office-Ab12_cd.js", "console.log(1)");
        write(root_ / "assets" / "style-x1.css", "body{}");
        write(root_ / "assets" / ".hidden", "no");
        write(base_ / "secret.txt", "SECRET");
        fs::create_symlink(base_ / "secret.txt", root_ / "assets" / "link.txt");
        add_static_routes(router_, root_);
    }
    void TearDown() override { fs::remove_all(base_); }

    HttpResponse get(const std::string& target) const { return api::get(router_, target); }

    fs::path base_;
    fs::path root_;
    Router router_;
};

TEST_F(StaticFiles, ServesThePagesAsHtmlThatIsRevalidated) {
    const auto office = get("/office/");
    EXPECT_EQ(office.status, 200);
    EXPECT_EQ(office.content_type, "text/html; charset=utf-8");
    EXPECT_EQ(office.body, "<!doctype html><title>office</title>");
    EXPECT_EQ(office.headers.at("Cache-Control"), "no-cache");
    EXPECT_EQ(office.headers.at("X-Content-Type-Options"), "nosniff");
    EXPECT_TRUE(office.headers.at("Content-Security-Policy").starts_with("default-src 'self'"));
    EXPECT_EQ(get("/courier/").body, "<!doctype html><title>courier</title>");
    EXPECT_EQ(get("/office/index.html").status, 200);
    EXPECT_EQ(get("/courier/manifest.webmanifest").content_type, "application/manifest+json");
}

TEST_F(StaticFiles, RedirectsTheRootAndPagesWithoutASlash) {
    const auto root = get("/");
    EXPECT_EQ(root.status, 302);
    EXPECT_EQ(root.headers.at("Location"), "/office/");
    const auto office = get("/office");
    EXPECT_EQ(office.status, 301);
    EXPECT_EQ(office.headers.at("Location"), "/office/");
    EXPECT_EQ(get("/courier").headers.at("Location"), "/courier/");
}

TEST_F(StaticFiles, HashedAssetsAreImmutableWithTheirTypes) {
    const auto js = get("/assets/office-Ab12_cd.js");
    EXPECT_EQ(js.status, 200);
    EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
    EXPECT_EQ(js.headers.at("Cache-Control"), "public, max-age=31536000, immutable");
    EXPECT_FALSE(js.headers.contains("Content-Security-Policy"));
    EXPECT_EQ(get("/assets/style-x1.css").content_type, "text/css; charset=utf-8");
}

TEST_F(StaticFiles, NothingOutsideTheRootIsReachable) {
    for (const std::string target :
         {"/assets/..", "/assets/%2e%2e", "/assets/..%2fsecret.txt", "/assets/..%2F..%2Fsecret.txt",
          "/office/..%2f..%2fsecret.txt", "/assets/%2e%2e%2fsecret.txt", "/assets/.hidden", "/assets/link.txt",
          "/assets/a%00b.js", "/assets/a%5c..%5csecret.txt", "/assets/missing.js", "/office/../secret.txt",
          "/assets/../../secret.txt"}) {
        const auto res = get(target);
        // 404 from this handler, or 400 invalid_id when the router refuses the name before it.
        EXPECT_TRUE(res.status == 404 || res.status == 400) << target << ": " << res.status;
        EXPECT_EQ(res.body.find("SECRET"), std::string::npos) << target;
    }
}

TEST_F(StaticFiles, AMissingRootSaysTheyAreNotBuilt) {
    Router router;
    add_static_routes(router, base_ / "nowhere");
    const auto res = api::get(router, "/office/");
    EXPECT_EQ(res.status, 404);
    EXPECT_NE(res.body.find("\"web_not_built\""), std::string::npos) << res.body;
}

TEST(ContentType, ByExtension) {
    EXPECT_EQ(content_type_for("a.svg"), "image/svg+xml");
    EXPECT_EQ(content_type_for("a.png"), "image/png");
    EXPECT_EQ(content_type_for("a.js.map"), "application/json");
    EXPECT_EQ(content_type_for("js"), "application/octet-stream");
    EXPECT_EQ(content_type_for("noext"), "application/octet-stream");
}

}  // namespace
}  // namespace kassa::api
