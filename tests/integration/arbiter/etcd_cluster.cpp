#include "etcd_cluster.hpp"

#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace xvrrp::itest {

using std::chrono::milliseconds;
using std::chrono::seconds;

EtcdCluster::EtcdCluster(SplitLab& lab, std::vector<std::string> members, bool tls)
    : lab_(lab), members_(std::move(members)), tls_(tls) {
    if (::access("/usr/bin/etcd", X_OK) != 0)
        throw std::runtime_error("etcd-server is required (/usr/bin/etcd)");
    procs_.assign(members_.size(), nullptr);
    starts_.assign(members_.size(), 0);
    if (tls_) makeCertificates();
}

size_t EtcdCluster::idx(const std::string& m) const {
    for (size_t i = 0; i < members_.size(); ++i)
        if (members_[i] == m) return i;
    throw std::invalid_argument("EtcdCluster: no member " + m);
}

std::string EtcdCluster::url(const std::string& m, int port) const {
    return "http://" + lab_.lab().v4(m).str() + ":" + std::to_string(port);
}

std::string EtcdCluster::clientUrl(const std::string& m) const {
    return (tls_ ? "https://" : "http://") + lab_.lab().v4(m).str() + ":2379";
}

std::string EtcdCluster::pki(const std::string& f) const { return lab_.dir() + "/pki-" + f; }

std::string EtcdCluster::witnessBlock(double leaseTtl, double timeout,
                                      const std::string& prefix) const {
    std::string endpoints;
    for (const auto& m : members_) endpoints += " " + clientUrl(m);
    std::ostringstream w;
    w << "witness etcd {\n  endpoints" << endpoints << "\n  prefix " << prefix
      << "\n  lease_ttl " << leaseTtl << "\n  timeout " << timeout << "\n";
    if (tls_)
        w << "  tls {\n    ca_file " << pki("ca.pem") << "\n    cert_file " << pki("client.pem")
          << "\n    key_file " << pki("client.key") << "\n  }\n";
    w << "}\n";
    return w.str();
}

void EtcdCluster::openssl(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{"openssl"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = lab::runIn("", argv, seconds(30));
    if (!r.ok()) throw std::runtime_error("openssl " + args[0] + ": " + r.err);
}

// A certificate signed by the run's CA, with the extensions in `ext`.
void EtcdCluster::issue(const std::string& name, const std::string& ext) const {
    std::ofstream(pki(name + ".ext")) << ext << "\n";
    openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", pki(name + ".key"), "-out", pki(name + ".csr"), "-subj", "/CN=" + name});
    openssl({"x509", "-req", "-in", pki(name + ".csr"), "-CA", pki("ca.pem"), "-CAkey",
             pki("ca.key"), "-CAcreateserial", "-out", pki(name + ".pem"), "-days", "1",
             "-extfile", pki(name + ".ext")});
}

// A CA, a server certificate per member (its address as SAN) and the arbiters' client
// certificate; etcd verifies the client (--client-cert-auth).
void EtcdCluster::makeCertificates() const {
    openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", pki("ca.key"), "-out", pki("ca.pem"), "-days", "1", "-subj",
             "/CN=xvt-witness-ca"});
    for (const auto& m : members_)
        issue(m, "subjectAltName=IP:" + lab_.lab().v4(m).str() +
                     "\nextendedKeyUsage=serverAuth,clientAuth");
    issue("client", "extendedKeyUsage=clientAuth");
}

void EtcdCluster::startMember(size_t i) {
    const std::string& m = members_[i];
    std::string cluster;
    for (const auto& o : members_) cluster += (cluster.empty() ? "" : ",") + o + "=" + url(o, 2380);
    std::vector<std::string> argv{
        "/usr/bin/etcd", "--name", m, "--data-dir", lab_.dir() + "/" + m + ".etcd",
        "--listen-client-urls", clientUrl(m), "--advertise-client-urls", clientUrl(m),
        "--listen-peer-urls", url(m, 2380), "--initial-advertise-peer-urls", url(m, 2380),
        "--initial-cluster", cluster, "--initial-cluster-token", lab_.lab().node(members_[0]).name(),
        "--initial-cluster-state", created_ ? "existing" : "new"};
    if (tls_)
        argv.insert(argv.end(), {"--cert-file", pki(m + ".pem"), "--key-file", pki(m + ".key"),
                                 "--client-cert-auth", "--trusted-ca-file", pki("ca.pem")});
    const std::string log =
        lab_.dir() + "/" + m + "-etcd" + (starts_[i] ? "-" + std::to_string(starts_[i]) : "") + ".log";
    ++starts_[i];
    procs_[i] = &lab_.lab().node(m).spawn(argv, log);
}

void EtcdCluster::start() {
    for (size_t i = 0; i < members_.size(); ++i)
        if (!running(members_[i])) startMember(i);
    created_ = true;
    if (!lab::waitUntil([&] { return healthy(); }, seconds(30), milliseconds(300)))
        throw std::runtime_error("etcd cluster not healthy\n" + logs());
}

std::vector<std::string> EtcdCluster::etcdctl(const std::vector<std::string>& args) const {
    std::string eps;
    for (const auto& m : members_) eps += (eps.empty() ? "" : ",") + clientUrl(m);
    std::vector<std::string> argv{"etcdctl", "--endpoints", eps, "--command-timeout", "2s"};
    if (tls_)
        argv.insert(argv.end(), {"--cacert", pki("ca.pem"), "--cert", pki("client.pem"), "--key",
                                 pki("client.key")});
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

bool EtcdCluster::healthy() {
    auto r = lab_.lab().node("client").run(etcdctl({"endpoint", "health"}), seconds(5));
    return r.ok() && r.out.find("unhealthy") == std::string::npos;
}

std::string EtcdCluster::leader() {
    auto r = lab_.lab().node("client").run(etcdctl({"endpoint", "status", "-w", "json"}), seconds(5));
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (!j.is_array()) return "";
    for (const auto& e : j) {
        const auto& st = e.value("Status", nlohmann::json::object());
        auto id = st.value("header", nlohmann::json::object()).value("member_id", uint64_t{0});
        if (id != 0 && id == st.value("leader", uint64_t{1})) {
            const std::string ep = e.value("Endpoint", "");
            for (const auto& m : members_)
                if (ep == clientUrl(m)) return m;
        }
    }
    return "";
}

bool EtcdCluster::running(const std::string& m) const {
    auto* p = procs_[idx(m)];
    return p && p->running();
}

void EtcdCluster::stop(const std::string& m) {
    if (auto* p = procs_[idx(m)]) p->stop(seconds(5));
}

void EtcdCluster::kill(const std::string& m) {
    if (auto* p = procs_[idx(m)]) {
        p->sendSignal(SIGKILL);
        p->waitExit(seconds(5));
    }
}

void EtcdCluster::stopAll() {
    for (const auto& m : members_) stop(m);
}

std::string EtcdCluster::logs() const {
    std::string out;
    for (size_t i = 0; i < members_.size(); ++i)
        if (procs_[i])
            out += "---- " + members_[i] + " etcd ----\n" + tail(procs_[i]->readLog(), 8);
    return out;
}

}  // namespace xvrrp::itest
