// notify* SCRIPT [USER [GROUP]] and notify_fifo FIFO [USER [GROUP]]: the user and group are
// kept by keyword (keepalived notify_script_init(), notify_fifo()), absent when not written.
#include "test_util.hpp"

namespace xvrrp::config {
namespace {

TEST(RunAs, InstanceNotifyKeepsUserAndGroupByKeyword) {
    auto r = test::load(R"(
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 1
  notify "/usr/bin/logger all" nobody
  notify_master "/bin/true master" nobody nogroup
  notify_backup /bin/true
  notify_stop /bin/true root root
  notify_master_rx_lower_pri /bin/true nobody
}
)");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    const Instance& i = r.config.instances.at(0);
    EXPECT_EQ(i.notify_master, "/bin/true master");  // the script alone, as before
    EXPECT_EQ(i.notify_run_as.at("notify"), (RunAs{"nobody", ""}));
    EXPECT_EQ(i.notify_run_as.at("notify_master"), (RunAs{"nobody", "nogroup"}));
    EXPECT_EQ(i.notify_run_as.at("notify_stop"), (RunAs{"root", "root"}));
    EXPECT_EQ(i.notify_run_as.at("notify_master_rx_lower_pri"), (RunAs{"nobody", ""}));
    EXPECT_EQ(i.notify_run_as.count("notify_backup"), 0u);  // the default script user
    EXPECT_EQ(i.notify_run_as.size(), 4u);
}

TEST(RunAs, RepeatedKeywordReplacesTheUserToo) {
    auto r = test::load(R"(
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 1
  notify_master /bin/true nobody
  notify_master /bin/false
}
)");
    const Instance& i = r.config.instances.at(0);
    EXPECT_EQ(i.notify_master, "/bin/false");
    EXPECT_EQ(i.notify_run_as.count("notify_master"), 0u);
}

TEST(RunAs, SyncGroupNotify) {
    auto r = test::load(R"(
vrrp_sync_group G {
  group {
    VI_1
  }
  notify_backup "/bin/true b" nobody nogroup
  notify /bin/true
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 1
}
)");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    const SyncGroup& g = r.config.sync_groups.at(0);
    EXPECT_EQ(g.notify_backup, "/bin/true b");
    EXPECT_EQ(g.notify_run_as.at("notify_backup"), (RunAs{"nobody", "nogroup"}));
    EXPECT_EQ(g.notify_run_as.count("notify"), 0u);
}

TEST(RunAs, FifoOwnerAndFifoScriptUser) {
    auto r = test::load(R"(
global_defs {
  notify_fifo /run/ka.fifo nobody nogroup
  notify_fifo_script /bin/true
  vrrp_notify_fifo /run/vrrp.fifo
  vrrp_notify_fifo_script "/bin/true x" nobody
}
)");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    const Global& g = r.config.global;
    EXPECT_EQ(g.notify_fifo, "/run/ka.fifo");
    EXPECT_EQ(g.vrrp_notify_fifo_script, "/bin/true x");
    EXPECT_EQ(g.fifo_run_as.at("notify_fifo"), (RunAs{"nobody", "nogroup"}));
    EXPECT_EQ(g.fifo_run_as.at("vrrp_notify_fifo_script"), (RunAs{"nobody", ""}));
    EXPECT_EQ(g.fifo_run_as.size(), 2u);
}

// keepalived 2.2.7 reads FIFO, USER and GROUP and ignores the rest.
TEST(RunAs, FifoWithTooManyWordsIgnoresTheRest) {
    auto r = test::load("global_defs {\n  notify_fifo /run/f nobody nogroup extra\n}\n");
    EXPECT_TRUE(r.ok()) << test::dump(r);
    EXPECT_TRUE(test::has(r, Severity::Warning, 2, 37, "'extra' and the words after it are ignored")) << test::dump(r);
    EXPECT_EQ(r.config.global.fifo_run_as.at("notify_fifo").group, "nogroup");
}

}  // namespace
}  // namespace xvrrp::config
