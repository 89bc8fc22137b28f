// main() of the suites that need root (network namespaces, XDP, BPF maps): run as another
// user they exit 77, which their ctest entries declare as SKIP_RETURN_CODE, so ctest
// reports them as skipped instead of passed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

int main(int argc, char** argv) {
    if (::geteuid() != 0) {
        std::fprintf(stderr, "%s: needs root (network namespaces, XDP, BPF maps); skipped\n",
                     argv[0]);
        return 77;
    }
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
