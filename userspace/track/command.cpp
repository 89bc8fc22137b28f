// Script string -> exec-able Command, mirroring keepalived 2.2.7 (see command.hpp).
#include "track/command.hpp"

#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "config/words.hpp"

namespace xvrrp::track {
namespace {

bool isExecutable(const struct stat& st, uid_t uid, gid_t gid) {
    return (uid == 0 && (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH))) ||
           (uid == st.st_uid && (st.st_mode & S_IXUSR)) ||
           (uid != st.st_uid && ((gid == st.st_gid && (st.st_mode & S_IXGRP)) ||
                                 (gid != st.st_gid && (st.st_mode & S_IXOTH))));
}

// glibc-style $PATH search for a bare name; the found path or errno-like failure.
int findPath(std::string& file, ScriptUser user, std::vector<std::string>& messages) {
    const char* env = getenv("PATH");
    std::string path = env ? env : "/bin:/usr/bin";
    bool eacces = false;
    size_t pos = 0;
    while (true) {
        size_t end = path.find(':', pos);
        std::string dir = path.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        std::string candidate = (dir.empty() ? "" : dir + "/") + file;
        struct stat st {};
        if (stat(candidate.c_str(), &st) == 0) {
            if (S_ISREG(st.st_mode) && isExecutable(st, user.uid, user.gid)) {
                messages.push_back("WARNING - script `" + file + "` resolved by path search to `" +
                                   candidate + "`. Please specify full path.");
                file = candidate;
                return 0;
            }
            eacces = true;
        }
        if (end == std::string::npos) break;
        pos = end + 1;
    }
    return eacces ? EACCES : ENOENT;
}

// keepalived's check_security(): every element of `filename` must be root-owned and not
// group (non-root group) or world writable; directories with the sticky bit may be.
unsigned checkSecurity(const std::string& filename, bool script_security,
                       std::vector<std::string>& messages) {
    size_t next = 0;
    while (true) {
        size_t slash = filename.find('/', next);
        bool last = slash == std::string::npos;
        std::string element = last ? filename : filename.substr(0, slash == 0 ? 1 : slash);
        struct stat st {};
        if (fstatat(AT_FDCWD, element.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            int e = errno;
            if (e == EACCES || e == ELOOP || e == ENOENT || e == ENOTDIR)
                messages.push_back("check_script_secure could not find script '" + filename +
                                   "' - disabling");
            else
                messages.push_back("check_script_secure('" + filename + "') returned errno " +
                                   std::to_string(e) + " - " + strerror(e) + " - disabling");
            return kScNotFound;
        }
        if ((!last && !S_ISDIR(st.st_mode)) || (last && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))) {
            messages.push_back("Wrong file type found in script path '" + filename + "'.");
            return kScInhibit;
        }
        bool dir_unsticky = S_ISDIR(st.st_mode) && !(st.st_mode & S_ISVTX);
        bool writable = (st.st_gid && (st.st_mode & S_IWGRP)) || (st.st_mode & S_IWOTH);
        if (st.st_uid != 0 || ((dir_unsticky || S_ISREG(st.st_mode)) && writable)) {
            messages.push_back("Unsafe permissions found for script '" + filename + "'" +
                               (script_security ? " - disabling" : "") + ".");
            return kScInsecure | (script_security ? unsigned{kScInhibit} : 0u);
        }
        if (last) return 0;
        next = slash + 1;
    }
}

}  // namespace

std::optional<std::vector<std::string>> splitCommand(std::string_view s, std::string* error) {
    config::SplitError why;
    auto words = config::splitQuotedEscaped(s, &why);
    if (!words) {
        if (error) *error = why.what;
        return std::nullopt;
    }
    if (words->empty()) {
        if (error) *error = "empty command";
        return std::nullopt;
    }
    std::vector<std::string> out;
    for (auto& w : *words) out.push_back(std::move(w.text));
    return out;
}

std::string shellCommandLine(const std::vector<std::string>& argv) {
    std::string out;
    for (size_t i = 0; i < argv.size(); ++i) {
        if (i) out += ' ';
        bool quote = i || argv[i].empty() || (argv[i][0] != '<' && argv[i][0] != '>');
        if (quote) out += '\'';
        out += argv[i];
        if (quote) out += '\'';
    }
    return out;
}

UserLookup lookupScriptUser(const std::string& user, const std::string& group) {
    UserLookup r;
    long n = sysconf(_SC_GETPW_R_SIZE_MAX);
    std::vector<char> buf(n > 0 ? static_cast<size_t>(n) : 16384);
    struct passwd pw {};
    struct passwd* pwp = nullptr;
    if (getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &pwp) != 0) {
        r.messages.push_back("Unable to resolve script username '" + user + "' - ignoring");
        return r;
    }
    if (!pwp) {
        r.messages.push_back("Script user '" + user + "' does not exist");
        return r;
    }
    ScriptUser u{pw.pw_uid, pw.pw_gid};
    if (!group.empty()) {
        struct group gr {};
        struct group* grp = nullptr;
        if (getgrnam_r(group.c_str(), &gr, buf.data(), buf.size(), &grp) != 0) {
            r.messages.push_back("Unable to resolve script group name '" + group + "' - ignoring");
            return r;
        }
        if (!grp) {
            r.messages.push_back("Script group '" + group + "' does not exist");
            return r;
        }
        u.gid = gr.gr_gid;
    }
    r.user = u;
    return r;
}

UserLookup defaultScriptUser(const config::Global& global) {
    if (!global.script_user.empty()) {
        UserLookup r = lookupScriptUser(global.script_user, global.script_group);
        if (!r.user) r.messages.push_back("Error setting global script uid/gid");
        return r;
    }
    UserLookup r = lookupScriptUser("keepalived_script", "");
    if (r.user) return r;
    if (global.enable_script_security) {
        r.messages.push_back("Unable to set default user keepalived_script for script");
        return r;
    }
    // keepalived logs nothing here: running as itself is the normal case without security.
    r.messages.clear();
    r.user = ScriptUser{geteuid(), getegid()};
    return r;
}

SecurityCheck checkScriptSecure(std::vector<std::string> argv, ScriptUser user,
                                bool script_security) {
    SecurityCheck r;
    const std::string& a0 = argv.at(0);
    // "</file": checks a file can be opened; never exec'd, run by the shell (SC_SYSTEM).
    if (a0[0] == '<') {
        size_t p = a0.find_first_not_of(" \t", 1);
        if (p != std::string::npos && a0[p] == '/') {
            r.flags = kScSystem;
            r.command = Command{std::move(argv), user, true};
            return r;
        }
    }
    if (a0.find('/') == std::string::npos) {
        int e = findPath(argv[0], user, r.messages);
        if (e) {
            r.messages.push_back((e == EACCES ? "Permissions failure for script " : "Cannot find script ") +
                                 argv[0] + " in path - disabling");
            r.flags = kScNotFound;
            return r;
        }
    }
    char* real = realpath(argv[0].c_str(), nullptr);
    if (!real) {
        r.messages.push_back("Script " + argv[0] + " cannot be accessed - " + strerror(errno));
        r.flags = kScNotFound;
        return r;
    }
    std::string resolved = real;
    free(real);
    // Keep the name the user wrote when only directories were symlinks: some programs
    // behave by their argv[0] name (keepalived does the same).
    std::string original = argv[0];
    std::string real_file;
    if (resolved != original) {
        std::string orig_name = original.substr(original.rfind('/') + 1);
        std::string real_name = resolved.substr(resolved.rfind('/') + 1);
        std::string candidate = resolved;
        if (orig_name != real_name) {
            candidate = resolved.substr(0, resolved.rfind('/') + 1) + orig_name;
            struct stat a {}, b {};
            if (stat(resolved.c_str(), &a) == 0 &&
                (stat(candidate.c_str(), &b) != 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino))
                candidate = resolved;
            else
                real_file = resolved;
        }
        argv[0] = candidate;
    }
    struct stat st {};
    if (stat(real_file.empty() ? argv[0].c_str() : real_file.c_str(), &st) != 0) {
        r.messages.push_back("Unable to access script `" + argv[0] + "` - disabling");
        r.flags = kScNotFound;
        return r;
    }
    r.flags = kScIsScript;
    bool protect = false;
    if (isExecutable(st, user.uid, user.gid)) {
        r.flags |= kScExecutable;
        protect = user.uid == 0 || user.gid == 0 ||
                  (st.st_uid == 0 && (st.st_mode & S_IXUSR) && (st.st_mode & S_ISUID)) ||
                  (st.st_gid == 0 && (st.st_mode & S_IXGRP) && (st.st_mode & S_ISGID));
    } else {
        r.messages.push_back("WARNING - script '" + argv[0] + "' is not executable for uid:gid " +
                             std::to_string(user.uid) + ":" + std::to_string(user.gid) +
                             " - disabling.");
    }
    if (protect) {
        r.flags |= checkSecurity(argv[0], script_security, r.messages);
        if (!real_file.empty()) r.flags |= checkSecurity(real_file, script_security, r.messages);
    }
    if ((r.flags & kScExecutable) && !(r.flags & (kScInhibit | kScNotFound)))
        r.command = Command{std::move(argv), user, false};
    return r;
}

std::string securitySummary(unsigned all_flags, bool script_security) {
    if (script_security || !(all_flags & kScIsScript)) return {};
    return std::string("SECURITY VIOLATION - scripts are being executed but script_security not enabled.") +
           ((all_flags & kScInsecure) ? " There are insecure scripts." : "");
}

SecurityCheck prepareScript(const std::string& line, const std::string& user,
                            const std::string& group, const config::Global& global,
                            const std::string& what) {
    SecurityCheck r;
    std::string err;
    auto argv = splitCommand(line, &err);
    if (!argv) {
        r.messages.push_back(err);
        r.messages.push_back("Unable to parse script '" + line + "' - ignoring");
        return r;
    }
    UserLookup u = user.empty() ? defaultScriptUser(global) : lookupScriptUser(user, group);
    if (!u.user) {
        r.messages = std::move(u.messages);
        r.messages.push_back((user.empty() ? "Failed to set default user for " : "Invalid user/group for ") +
                             what + " script " + (*argv)[0] + " - ignoring");
        return r;
    }
    r = checkScriptSecure(std::move(*argv), *u.user, global.enable_script_security);
    r.messages.insert(r.messages.begin(), u.messages.begin(), u.messages.end());
    return r;
}

config::ScriptVerdict judgeScript(const std::string& line, const std::string& user, const std::string& group,
                                  const config::Global& global, const std::string& what) {
    SecurityCheck chk = prepareScript(line, user, group, global, what);
    config::ScriptVerdict v;
    v.runs = chk.command.has_value();
    v.exec = (chk.flags & kScIsScript) != 0;
    v.insecure = (chk.flags & (kScInsecure | kScInhibit)) != 0;
    v.messages = std::move(chk.messages);
    return v;
}

}  // namespace xvrrp::track
