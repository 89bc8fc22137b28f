// onFreshThread: the work's result and exceptions come back, the small blocks it frees go
// back to the heap instead of staying in the caller's malloc cache (glibc's tcache), and the
// thread's stack holds the configuration reader's deepest nesting.
#include <gtest/gtest.h>
#include <malloc.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "config/bounds.hpp"
#include "config/parser.hpp"
#include "daemon/fresh_thread.hpp"

namespace xvrrp::daemon {
namespace {

TEST(FreshThread, ReturnsTheWorksValueFromAnotherThread) {
    const auto caller = std::this_thread::get_id();
    std::thread::id ran_on;
    auto v = onFreshThread([&] {
        ran_on = std::this_thread::get_id();
        return std::string("parsed");
    });
    EXPECT_EQ(v, "parsed");
    EXPECT_NE(ran_on, caller);
    bool ran = false;
    onFreshThread([&] { ran = true; });
    EXPECT_TRUE(ran);
}

TEST(FreshThread, RethrowsTheWorksException) {
    EXPECT_THROW(onFreshThread([]() -> int { throw std::runtime_error("bad file"); }),
                 std::runtime_error);
}

#if defined(__SANITIZE_ADDRESS__)
#define XVRRP_OWN_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define XVRRP_OWN_MALLOC 1
#endif
#endif

// Seven blocks of one size (a tcache bin's default depth) freed by the caller stay counted as
// in use; freed on a fresh thread they are free heap again once the thread has ended.
TEST(FreshThread, BlocksTheWorkFreesGoBackToTheHeap) {
#ifdef XVRRP_OWN_MALLOC
    GTEST_SKIP() << "the sanitizer's allocator has no tcache";
#else
    constexpr size_t kBlock = 1000, kCount = 7;
    auto allocFree = [] {
        std::vector<void*> blocks;
        blocks.reserve(kCount);
        for (size_t i = 0; i < kCount; ++i) blocks.push_back(::malloc(kBlock));
        for (void* b : blocks) ::free(b);
    };
    auto inUse = [] { return ::mallinfo2().uordblks; };
    // Empties this thread's bin for the size, so what the next run frees stays there if the
    // run is this thread's.
    std::vector<std::unique_ptr<void, decltype(&::free)>> held;
    auto emptyBin = [&] {
        for (size_t i = 0; i < 2 * kCount; ++i) held.emplace_back(::malloc(kBlock), &::free);
    };
    held.reserve(4 * kCount);
    emptyBin();
    const size_t before_in_place = inUse();
    allocFree();
    if (inUse() - before_in_place < kCount * kBlock)
        GTEST_SKIP() << "this process keeps no per-thread cache (glibc.malloc.tcache_count=0?)";

    // Under the default M_ARENA_MAX (xvrrpd sets 1) a thread may get a heap of its own,
    // which stays counted as it first grows: the same work once before the count.
    onFreshThread(allocFree);
    emptyBin();
    const size_t before = inUse();
    onFreshThread(allocFree);
    EXPECT_LT(inUse(), before + kBlock) << "the fresh thread's cache was not returned";
#endif
}

// The reader's deepest nesting (config/bounds.hpp) fits the thread's stack: includes 32
// deep, substitutions 32 deep and blocks 32 deep in the last file; and a hostile file (20,000
// open braces, an include of itself) ends in errors, not a crash.
TEST(FreshThread, ParsesTheDeepestConfigurationTheBoundsAllow) {
    char tmpl[] = "/tmp/xvt-fresh-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    const std::filesystem::path dir = tmpl;
    struct Remove {
        std::filesystem::path d;
        ~Remove() { std::filesystem::remove_all(d); }
    } remove{dir};
    auto write = [&](const std::string& name, const std::string& text) {
        std::ofstream(dir / name) << text;
    };
    const int deep = config::bounds::kMaxIncludeDepth;
    for (int i = 0; i < deep; ++i)
        write("d" + std::to_string(i) + ".conf", "include d" + std::to_string(i + 1) + ".conf\n");
    std::string last;
    for (int i = 1; i < config::bounds::kMaxExpansionDepth; ++i)
        last += "$V" + std::to_string(i) + "=${V" + std::to_string(i + 1) + "}\n";
    last += "$V" + std::to_string(config::bounds::kMaxExpansionDepth) + "=deep\n";
    last += "global_defs {\n router_id ${V1}\n";
    for (int i = 1; i < config::bounds::kMaxBlockDepth; ++i) last += "b" + std::to_string(i) + " {\n";
    for (int i = 1; i < config::bounds::kMaxBlockDepth; ++i) last += "}\n";
    write("d" + std::to_string(deep) + ".conf", last + "}\n");
    auto load = [&](const char* file) {
        return onFreshThread([&] { return config::loadConfigFile((dir / file).string()); });
    };
    auto ok = load("d0.conf");
    EXPECT_EQ(ok.config.global.router_id, "deep");
    for (const auto& d : ok.diagnostics)
        EXPECT_EQ(d.message.find("nested"), std::string::npos) << d.str();

    std::string braces;
    for (int i = 0; i < 20000; ++i) braces += "{\n";
    write("hostile.conf", "include hostile.conf\nvrrp_instance VI_1 " + braces);
    auto bad = load("hostile.conf");
    EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace xvrrp::daemon
