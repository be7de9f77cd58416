// Names the calling thread (at most 15 bytes are kept, as Linux allows), so profiles, `top -H` and
// debuggers show which register, writer or server thread is which.
#pragma once

#include <pthread.h>

#include <string>
#include <string_view>

namespace kassa {

inline void name_this_thread(std::string_view name) {
    const std::string cut(name.substr(0, 15));
    pthread_setname_np(pthread_self(), cut.c_str());
}

}  // namespace kassa
