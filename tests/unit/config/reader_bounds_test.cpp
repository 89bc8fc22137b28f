// The reader's bounds (userspace/config/bounds.hpp, docs/bounds.md): each at the bound and
// one past it, and the hostile files of issue 9 item 5 (deep braces, self-includes, huge
// keywords), which crashed or stalled the reader before.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/bounds.hpp"
#include "config/include.hpp"
#include "test_util.hpp"

namespace xvrrp::config {
namespace {

using test::has;
using test::load;

std::string nested(int levels) {
    std::string s;
    for (int i = 0; i < levels; ++i) s += "b" + std::to_string(i) + " {\n";
    for (int i = 0; i < levels; ++i) s += "}\n";
    return s;
}

bool mentions(const LoadResult& r, const std::string& text) {
    for (const auto& d : r.diagnostics)
        if (d.message.find(text) != std::string::npos) return true;
    return false;
}

TEST(BlockDepth, AtTheBoundParsesOnePastIsAnErrorAtTheBrace) {
    auto ok = load("global_defs {\n" + nested(bounds::kMaxBlockDepth - 1) + "}\n");
    EXPECT_FALSE(mentions(ok, "nested more than")) << test::dump(ok);
    auto bad = load("global_defs {\n" + nested(bounds::kMaxBlockDepth) + "}\n");
    // Line 1 opens level 1; line 33 opens level 33 at its column 5.
    EXPECT_TRUE(has(bad, Severity::Error, bounds::kMaxBlockDepth + 1, 5, "nested more than 32 blocks deep"));
}

TEST(BlockDepth, TwentyThousandOpenBracesEndWithErrorsNotACrash) {
    std::string open, close;
    for (int i = 0; i < 20000; ++i) {
        open += "{\n";
        close += "}\n";
    }
    auto r = load("vrrp_instance VI_1 " + open);
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(mentions(r, "nested more than 32 blocks deep"));
    auto closed = load(open + close + test::kInstance);
    EXPECT_FALSE(closed.ok());
    EXPECT_EQ(closed.config.instances.size(), 1u) << "the instance after the braces is read";
}

TEST(LineLength, KeepalivedsBufferIsTheBound) {
    auto line = [](size_t n) { return "global_defs {\n router_id " + std::string(n - 11, 'r') + "\n}\n"; };
    auto ok = load(line(bounds::kMaxLineBytes));
    EXPECT_TRUE(ok.ok()) << test::dump(ok);
    EXPECT_EQ(ok.config.global.router_id.size(), bounds::kMaxLineBytes - 11);
    auto bad = load(line(bounds::kMaxLineBytes + 1));
    EXPECT_TRUE(has(bad, Severity::Error, 2, 1024, "line is 1024 bytes long; keepalived reads at most 1023"));
    // Trailing blanks past the buffer are harmless to keepalived, so to us too.
    auto blanks = load("global_defs {\n router_id x" + std::string(2000, ' ') + "\n}\n");
    EXPECT_TRUE(blanks.ok()) << test::dump(blanks);
}

TEST(LineLength, TenMegabyteKeywordIsOneErrorWithoutASuggestionSearch) {
    auto r = load("global_defs {\n " + std::string(10 << 20, 'x') + "\n}\n");
    EXPECT_TRUE(has(r, Severity::Error, 2, 1024, "bytes long"));
    EXPECT_FALSE(mentions(r, "did you mean"));
    EXPECT_EQ(r.diagnostics.size(), 1u) << test::dump(r);
}

TEST(LineLength, NulByteIsAnError) {
    auto r = load(std::string("global_defs {\n router_id a") + '\0' + "b\n}\n");
    EXPECT_TRUE(has(r, Severity::Error, 2, 13, "NUL byte"));
}

// keepalived 2.2.7 takes a name that is not UTF-8 (`keepalived -t` exits 0); so do we, and
// say how status will show it. Diagnostics echoing such bytes stay UTF-8 (reload reports
// them as JSON).
TEST(Utf8, NameThatIsNotUtf8IsAcceptedWithAWarning) {
    auto r = load("vrrp_instance VI_\xff\xfe {\n interface eth0\n virtual_router_id 51\n"
                  " virtual_ipaddress {\n  10.0.0.1\n }\n frob\xc0\n}\n");
    EXPECT_TRUE(r.ok()) << test::dump(r);
    EXPECT_EQ(r.config.instances.at(0).name, "VI_\xff\xfe");
    EXPECT_TRUE(has(r, Severity::Warning, 1, 15,
                    "vrrp_instance name is not valid UTF-8; xvrrpctl status and xvrrp-arbiter "
                    "show it as 'VI_\\xff\\xfe'"));
    EXPECT_TRUE(has(r, Severity::Warning, 7, 2, "unknown keyword 'frob\\xc0'"));
}

TEST(Suggest, WordsUpToTheBoundGetASuggestionLongerOnesNone) {
    const std::string at(bounds::kMaxSuggestLength, 'k'), past(bounds::kMaxSuggestLength + 1, 'k');
    EXPECT_EQ(nearestWord(at + "x", {at}), "");  // 65 bytes: past the bound
    EXPECT_EQ(nearestWord(at.substr(1) + "x", {at}), at);
    EXPECT_EQ(nearestWord(past, {past.substr(1)}), "");
    // The search itself stays linear in memory: a long pair costs no quadratic table.
    EXPECT_EQ(editDistance(std::string(100000, 'a'), "ab"), 99999u);
}

TEST(Diagnostics, KeptUpToTheBoundThenCountedInOneLastError) {
    auto lines = [](size_t n) {
        std::string s = "global_defs {\n";
        for (size_t i = 0; i < n; ++i) s += " frob" + std::to_string(i) + "\n";
        return s + "}\n";
    };
    auto at = load(lines(bounds::kMaxDiagnostics));
    EXPECT_EQ(at.diagnostics.size(), bounds::kMaxDiagnostics);
    EXPECT_TRUE(at.ok());
    auto past = load(lines(bounds::kMaxDiagnostics) + "vrrp_instance X {\n}\n");  // + 2 errors
    ASSERT_EQ(past.diagnostics.size(), bounds::kMaxDiagnostics + 1);
    EXPECT_EQ(past.diagnostics.back().str(),
              "error: 2 more diagnostics not shown (2 of them errors; at most 1000 are kept)");
    EXPECT_FALSE(past.ok()) << "an error left out still makes the file unusable";
}

class FileBounds : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("xvrrp-bounds-" + std::to_string(getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::string write(const std::string& rel, const std::string& text) {
        auto p = dir_ / rel;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p) << text;
        return p.string();
    }
    // A file of exactly `bytes` bytes: comment lines, which cost the parser nothing.
    std::string comments(size_t bytes) {
        std::string s;
        s.reserve(bytes);
        const std::string line = "# " + std::string(97, 'c') + "\n";
        while (s.size() + line.size() <= bytes) s += line;
        s += std::string(bytes - s.size(), '#');
        return s;
    }
    LoadResult loadMain(const std::string& rel = "main.conf") {
        LoadOptions o;
        return loadConfigFile((dir_ / rel).string(), o);
    }
    std::filesystem::path dir_;
};

TEST_F(FileBounds, FileItselfTwiceIsAnIncludeLoopNotFiveGigabytes) {
    write("self.conf", "include self.conf\ninclude self.conf\n" + std::string(test::kInstance));
    auto r = loadMain("self.conf");
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(has(r, Severity::Error, 1, 9, "include loop: " + (dir_ / "self.conf").string()));
    EXPECT_EQ(r.config.instances.size(), 1u);
    EXPECT_EQ(r.config.files.size(), 1u);
}

TEST_F(FileBounds, LoopThroughAnotherFileNamesTheChain) {
    write("a.conf", "include b.conf\n");
    write("b.conf", "include a.conf\n");
    auto r = loadMain("a.conf");
    EXPECT_TRUE(mentions(r, "include loop: " + (dir_ / "a.conf").string() + " -> " +
                                (dir_ / "b.conf").string() + " -> " + (dir_ / "a.conf").string()))
        << test::dump(r);
}

TEST_F(FileBounds, IncludeDepthAtTheBoundAndOnePast) {
    auto chain = [&](int depth) {
        for (int i = 0; i < depth; ++i) write("d" + std::to_string(i) + ".conf", "include d" + std::to_string(i + 1) + ".conf\n");
        write("d" + std::to_string(depth) + ".conf", "global_defs {\n router_id deep\n}\n");
        return loadMain("d0.conf");
    };
    auto ok = chain(bounds::kMaxIncludeDepth);
    EXPECT_TRUE(ok.ok()) << test::dump(ok);
    EXPECT_EQ(ok.config.global.router_id, "deep");
    auto bad = chain(bounds::kMaxIncludeDepth + 1);
    EXPECT_FALSE(bad.ok());
    EXPECT_TRUE(mentions(bad, "includes nested deeper than 32 levels")) << test::dump(bad);
}

// N include lines naming one empty file: 1 + N files read. (keepalived takes the rest of an
// include line as one pattern, so one file a line.)
std::string includes(size_t lines) {
    std::string s;
    for (size_t i = 0; i < lines; ++i) s += "include e.conf\n";
    return s;
}

TEST_F(FileBounds, FilesReadAtTheBoundAndOnePast) {
    write("e.conf", "");
    write("main.conf", includes(bounds::kMaxFiles - 1));
    auto ok = loadMain();
    EXPECT_TRUE(ok.ok()) << test::dump(ok);
    EXPECT_EQ(ok.config.files.size(), bounds::kMaxFiles);
    write("main.conf", includes(bounds::kMaxFiles));
    auto bad = loadMain();
    EXPECT_FALSE(bad.ok());
    EXPECT_TRUE(mentions(bad, "a configuration reads at most 4096 files")) << test::dump(bad);
}

TEST_F(FileBounds, DoublingIncludesStopAtTheFileBound) {
    // Each level includes the next twice: 2^20 files without a bound on the total.
    for (int i = 0; i < 20; ++i)
        write("x" + std::to_string(i) + ".conf",
              "include x" + std::to_string(i + 1) + ".conf\ninclude x" + std::to_string(i + 1) + ".conf\n");
    write("x20.conf", "");
    auto r = loadMain("x0.conf");
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.config.files.size(), bounds::kMaxFiles);
}

TEST_F(FileBounds, FileSizeAtTheBoundAndOnePast) {
    write("main.conf", comments(bounds::kMaxFileBytes));
    auto ok = loadMain();
    EXPECT_TRUE(ok.ok()) << test::dump(ok);
    write("main.conf", comments(bounds::kMaxFileBytes + 1));
    auto bad = loadMain();
    EXPECT_EQ(bad.diagnostics.size(), 1u);
    const std::string max = std::to_string(bounds::kMaxFileBytes);
    EXPECT_EQ(bad.diagnostics.at(0).str(),
              (dir_ / "main.conf").string() + ": error: " + (dir_ / "main.conf").string() + " is " +
                  std::to_string(bounds::kMaxFileBytes + 1) +
                  " bytes; a configuration file may have at most " + max + " bytes");
}

TEST_F(FileBounds, TotalBytesAtTheBoundAndOnePast) {
    const size_t half = bounds::kMaxTotalBytes / 2;
    write("b.conf", comments(half));
    write("main.conf", "include b.conf\n" + comments(half - 15));
    auto ok = loadMain();
    EXPECT_TRUE(ok.ok()) << test::dump(ok);
    write("b.conf", comments(half + 1));
    auto bad = loadMain();
    EXPECT_FALSE(bad.ok());
    EXPECT_TRUE(has(bad, Severity::Error, 1, 9,
                    "all configuration files together may have at most " +
                        std::to_string(bounds::kMaxTotalBytes) + " bytes"))
        << test::dump(bad);
}

// N words: lines of 500 one-letter words in a skipped block.
std::string words(size_t n) {
    std::string s = "virtual_server x {\n";
    size_t left = n - 4;  // the block's own words and braces
    while (left > 0) {
        size_t k = std::min<size_t>(left, 500);
        for (size_t i = 0; i < k; ++i) s += i ? " w" : "w";
        s += "\n";
        left -= k;
    }
    return s + "}\n";
}

TEST(Words, AtTheBoundAndOnePast) {
    auto ok = load(words(bounds::kMaxWords));
    EXPECT_TRUE(ok.ok()) << test::dump(ok);
    auto bad = load(words(bounds::kMaxWords + 1));
    EXPECT_FALSE(bad.ok());
    // The excess is the closing brace, on the line after those of words.
    const int last = 2 + int((bounds::kMaxWords + 1 - 4 + 499) / 500);
    EXPECT_TRUE(has(bad, Severity::Error, last, 1,
                    "more than " + std::to_string(bounds::kMaxWords) + " words and braces"))
        << test::dump(bad);
}

TEST_F(FileBounds, DevicesAndFifosAreRefusedWithoutReadingOrBlocking) {
    // Skipped with a warning, as keepalived 2.2.7 does; an error under includer/include_check.
    write("main.conf", "include /dev/zero\n");
    EXPECT_TRUE(has(loadMain(), Severity::Warning, 1, 9, "/dev/zero is not a regular non-executable file"));
    write("main.conf", "includer /dev/zero\n");
    EXPECT_TRUE(has(loadMain(), Severity::Error, 1, 10, "/dev/zero is not a regular non-executable file"));
    ASSERT_EQ(mkfifo((dir_ / "fifo").c_str(), 0600), 0);
    write("main.conf", "include fifo\n");
    EXPECT_TRUE(has(loadMain(), Severity::Warning, 1, 9, "fifo is not a regular non-executable file"));
    // The main file is checked when read.
    EXPECT_TRUE(has(loadMain("fifo"), Severity::Error, 0, 0, "fifo is not a regular file"));
}

TEST_F(FileBounds, BraceExpansionsAtTheBoundAndOnePast) {
    auto group = [](size_t n) {
        std::string s = "{";
        for (size_t i = 0; i < n; ++i) s += (i ? "," : "") + std::to_string(i);
        return s + "}";
    };
    EXPECT_EQ(braceExpansions("{a,b}{c,{d,e}}x", 1000), 6u);
    write("main.conf", "include none" + group(bounds::kMaxBraceExpansions) + "\n");
    EXPECT_TRUE(has(loadMain(), Severity::Warning, 1, 9, "no such file or directory"));
    write("main.conf", "include none" + group(bounds::kMaxBraceExpansions + 1) + "\n");
    EXPECT_TRUE(has(loadMain(), Severity::Error, 1, 9, "expands to more than 256 patterns"));
    // 2^100 patterns, which glob(3) would otherwise walk one by one.
    std::string many;
    for (int i = 0; i < 100; ++i) many += "{a,b}";
    write("main.conf", "include " + many + "\n");
    EXPECT_TRUE(has(loadMain(), Severity::Error, 1, 9, "expands to more than 256 patterns"));
}

TEST_F(FileBounds, GlobDirectoryEntriesAtTheBoundAndOnePast) {
    // Reading d/ takes one readdir per entry ("." and ".." too) and one for its end:
    // 997 files make 1000, so 100 globs of d/ use the budget exactly.
    std::filesystem::create_directories(dir_ / "d");
    for (int i = 0; i < 997; ++i) std::ofstream(dir_ / "d" / std::to_string(i));
    auto globs = [](int n) {
        std::string s;
        for (int i = 0; i < n; ++i) s += "include d/*.none\n";
        return s;
    };
    static_assert(bounds::kMaxGlobEntries == 100000);
    write("main.conf", globs(100));
    auto ok = loadMain();
    EXPECT_TRUE(ok.ok()) << test::dump(ok);
    EXPECT_FALSE(mentions(ok, "directory entries")) << test::dump(ok);
    write("main.conf", globs(101));
    EXPECT_TRUE(mentions(loadMain(), "include globs may read at most 100000 directory entries in all"));
}

}  // namespace
}  // namespace xvrrp::config
