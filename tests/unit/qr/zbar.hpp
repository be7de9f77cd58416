// Test support: decode a PNG file with zbarimg (Debian's zbar-tools) and return the symbol's
// bytes exactly as they are in the QR code.
#pragma once

#include <sys/wait.h>

#include <unistd.h>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

namespace kassa::test {

// A file path under the build tree's test folder, unique within the run (pid + counter).
inline std::filesystem::path unique_tmp_path(std::string_view stem, std::string_view extension) {
    static std::atomic<int> counter{0};
    std::filesystem::path dir = KASSA_TEST_TMP_DIR;
    std::filesystem::create_directories(dir);
    return dir / (std::string(stem) + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) +
                  std::string(extension));
}

inline void write_file(const std::filesystem::path& path, std::string_view bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// `zbarimg --raw -q -Sbinary FILE`:
//  --raw      prints only the data, no "QR-Code:" prefix;
//  -q         no statistics line;
//  -Sbinary   hands out the decoded bytes unchanged. Without it zbar guesses a text encoding for
//             byte-mode data and converts it to UTF-8: UTF-8 payloads survive, but a GOST payload
//             in windows-1251 or KOI8-R comes out re-encoded (as if it were ISO-8859-1 or
//             Shift-JIS), so the byte-for-byte comparison would be meaningless.
// zbarimg ends the output with one '\n' after the symbol; it is stripped here. Returns nullopt
// when zbarimg finds no symbol or fails.
inline std::optional<std::string> zbar_decode(const std::filesystem::path& png) {
    const std::string command = "zbarimg --raw -q -Sbinary '" + png.string() + "' 2>/dev/null";
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return std::nullopt;
    std::string out;
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
    const int status = ::pclose(pipe);
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
    if (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

inline std::optional<std::string> zbar_decode_bytes(std::string_view png_bytes, std::string_view stem) {
    const auto path = unique_tmp_path(stem, ".png");
    write_file(path, png_bytes);
    return zbar_decode(path);
}

}  // namespace kassa::test
