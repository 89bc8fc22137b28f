#pragma once
// How a keepalived script string becomes something to exec, as keepalived 2.2.7 does it
// (lib/notify.c, lib/parser.c alloc_strvec_quoted_escaped):
//   1. The string is split into argv by keepalived itself: whitespace separates words,
//      '...' and "..." quote, backslash escapes (\n \t \xHH \NNN \cX ...). No shell.
//   2. A bare program name is searched in $PATH (warning "Please specify full path").
//   3. The program is exec'd directly with execve(). Only a script of the form "</path..."
//      (a file-openable test) runs through /bin/sh -c with every word single-quoted.
//      keepalived built with libmagic also uses the shell for files without #!; Debian's
//      2.2.7 is built without it, so we never do.
//   4. Scripts run as `user`/`group` of the vrrp_script, else global script_user, else the
//      user keepalived_script if it exists, else root. With enable_script_security, a script
//      run as root that a non-root user can modify (any path element) is disabled.
// Messages below are keepalived's own wording so users can grep for them.

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/parser.hpp"

namespace xvrrp::track {

// keepalived's alloc_strvec_quoted_escaped() (config/words.hpp). nullopt on an unmatched quote or a trailing
// backslash, with the reason in *error.
std::optional<std::vector<std::string>> splitCommand(std::string_view line,
                                                     std::string* error = nullptr);

// keepalived's cmd_str(): the words single-quoted and space-joined; the first word is left
// unquoted when it starts with '<' or '>' (shell redirection tests).
std::string shellCommandLine(const std::vector<std::string>& argv);

// Who a script runs as.
struct ScriptUser {
    uid_t uid = 0;
    gid_t gid = 0;
};

struct UserLookup {
    std::optional<ScriptUser> user;     // empty: the script must not run
    std::vector<std::string> messages;  // keepalived's log lines for what happened
};

// getpwnam/getgrnam: USER's uid and primary gid, or GROUP's gid when given.
UserLookup lookupScriptUser(const std::string& user, const std::string& group);

// The default for scripts without their own `user`: global script_user if set, else
// keepalived_script if that user exists, else our own euid/egid. With
// enable_script_security and neither, keepalived refuses ("Unable to set default user ...").
UserLookup defaultScriptUser(const config::Global& global);

// keepalived's SC_* result flags.
enum ScriptFlag : unsigned {
    kScInsecure = 0x01,    // a non-root user can modify the script or a directory above it
    kScIsScript = 0x02,    // it is a file we will exec
    kScInhibit = 0x04,     // must not run
    kScNotFound = 0x08,    // some path element cannot be found
    kScExecutable = 0x10,  // executable for the uid/gid that runs it
    kScSystem = 0x40,      // "</file" test: run through /bin/sh -c
};

// A script ready for ScriptRunner.
struct Command {
    std::vector<std::string> argv;  // argv[0] resolved to an absolute path unless use_shell
    ScriptUser user;
    bool use_shell = false;         // exec /bin/sh -c shellCommandLine(argv)
};

struct SecurityCheck {
    unsigned flags = 0;
    std::optional<Command> command;     // empty when the script must not run
    std::vector<std::string> messages;  // keepalived's log lines
};

// keepalived's check_script_secure() for one script: path search, realpath, executable
// check for the running uid/gid and, when run as root (or setuid/setgid root), the
// permission walk of every path element. `script_security` = enable_script_security.
SecurityCheck checkScriptSecure(std::vector<std::string> argv, ScriptUser user,
                                bool script_security);

// The one warning keepalived prints after checking all scripts when any will be exec'd
// without enable_script_security; empty when there is nothing to say.
std::string securitySummary(unsigned all_flags, bool script_security);

// Splits, picks the user and checks security in one go, the way the daemon needs it for a
// notify or vrrp_script string. `what` names the script in messages ("notify_master of
// vrrp_instance VI_1", "track script chk_nginx").
SecurityCheck prepareScript(const std::string& line, const std::string& user,
                            const std::string& group, const config::Global& global,
                            const std::string& what);

// prepareScript's verdict in the terms the configuration check reports (config::ScriptChecker).
config::ScriptVerdict judgeScript(const std::string& line, const std::string& user, const std::string& group,
                                  const config::Global& global, const std::string& what);

}  // namespace xvrrp::track
