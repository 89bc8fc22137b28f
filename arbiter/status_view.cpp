#include "status_view.hpp"

#include <stdexcept>

namespace xvrrp::arbiter {

using nlohmann::json;

namespace {

const json& field(const json& obj, const char* key, const std::string& where) {
    auto it = obj.find(key);
    if (it == obj.end()) throw std::invalid_argument(where + ": missing '" + key + "'");
    return *it;
}

std::vector<uint8_t> addrKey(const json& j) {
    if (!j.is_string()) return {};
    auto a = IpAddr::parse(j.get<std::string>());
    if (!a) return {};
    return {a->data(), a->data() + a->size()};
}

void parseHeard(const json& j, InstanceStatus& s) {
    auto from = j.find("adverts_from");
    if (from == j.end() || !from->is_array()) return;
    s.adverts_from.emplace();
    for (const auto& h : *from) {
        if (!h.is_object()) continue;
        auto key = addrKey(h.value("address", json()));
        auto age = h.find("age_ms");
        if (key.empty() || age == h.end() || !age->is_number()) continue;
        s.adverts_from->push_back({std::move(key), age->get<double>()});
    }
}

void parseVipDevices(const json& j, InstanceStatus& s) {
    auto devs = j.find("vip_devices");
    if (devs == j.end() || !devs->is_array()) return;
    for (const auto& d : *devs) {
        if (!d.is_object()) continue;
        auto a = d.find("address");
        auto p = a != d.end() && a->is_string() ? IpPrefix::parse(a->get<std::string>())
                                                : std::nullopt;
        auto idx = d.find("ifindex");
        if (!p || idx == d.end() || !idx->is_number_integer()) continue;
        auto dev = d.find("dev");
        s.vip_devices.push_back(
            {*p, dev != d.end() && dev->is_string() ? dev->get<std::string>() : std::string(),
             idx->get<int>()});
    }
}

}  // namespace

DaemonStatus parseDaemonStatus(const json& doc) {
    if (!doc.is_object()) throw std::invalid_argument("status: not a JSON object");
    if (doc.contains("ok") && doc["ok"].is_boolean() && !doc["ok"].get<bool>()) {
        auto e = doc.find("error");
        throw std::invalid_argument("status: daemon said: " + (e != doc.end() && e->is_string()
                                                                   ? e->get<std::string>()
                                                                   : std::string("error")));
    }
    DaemonStatus out;
    try {
        const json& list = field(doc, "instances", "status");
        if (!list.is_array()) throw std::invalid_argument("status: 'instances' is not an array");
        for (const json& j : list) {
            InstanceStatus s;
            s.name = field(j, "name", "instance").get<std::string>();
            std::string where = "instance " + s.name;
            s.view.state = field(j, "state", where).get<std::string>();
            s.view.priority = field(field(j, "priority", where), "effective", where).get<int>();
            s.view.vips_installed = field(j, "vips_installed", where).get<bool>();
            s.view.fenced = j.value("fenced", false);
            if (auto src = j.find("source"); src != j.end() && src->is_string()) {
                s.view.address = src->get<std::string>();
                if (auto a = IpAddr::parse(s.view.address))
                    s.view.addr_key.assign(a->data(), a->data() + a->size());
            }
            s.interface = j.value("interface", std::string());
            s.ifindex = j.value("ifindex", 0);
            s.family = j.value("family", std::string("ipv4")) == "ipv6" ? Family::V6 : Family::V4;
            s.vrid = static_cast<uint8_t>(j.value("vrid", 0));
            for (const auto& v : j.value("vips", json::array()))
                if (v.is_string())
                    if (auto p = IpPrefix::parse(v.get<std::string>())) s.vips.push_back(*p);
            if (auto la = j.find("last_advert"); la != j.end() && la->is_object())
                if (auto age = la->find("age_ms"); age != la->end() && age->is_number())
                    s.last_advert_age_ms = age->get<double>();
            if (auto k = j.find("kernel"); k != j.end() && k->is_object()) {
                if (auto seen = k->find("last_seen_ns");
                    seen != k->end() && seen->is_number_unsigned() && seen->get<uint64_t>() > 0)
                    s.kernel_last_seen_ns = seen->get<uint64_t>();
                s.kernel_master_key = addrKey(k->value("master", json()));
            }
            parseHeard(j, s);
            parseVipDevices(j, s);
            s.master_advert_int_ms = j.value("master_advert_int_ms", 0.0);
            s.advert_int_ms = j.value("advert_int_ms", 0.0);
            out.instances[s.name] = std::move(s);
        }
        if (auto a = doc.find("arbiter"); a != doc.end() && a->is_object())
            if (auto q = a->find("quorum"); q != a->end() && q->is_boolean())
                out.quorum = q->get<bool>() ? Tri::Yes : Tri::No;
    } catch (const json::exception& e) {
        throw std::invalid_argument(std::string("status: unexpected field type: ") + e.what());
    }
    return out;
}

namespace {

std::optional<double> kernelAge(const InstanceStatus& s, std::optional<uint64_t> now_mono_ns) {
    if (!now_mono_ns || !s.kernel_last_seen_ns || *now_mono_ns < *s.kernel_last_seen_ns)
        return std::nullopt;
    return static_cast<double>(*now_mono_ns - *s.kernel_last_seen_ns) / 1e6;
}

std::optional<double> younger(std::optional<double> a, std::optional<double> b) {
    if (!a) return b;
    if (!b) return a;
    return std::min(*a, *b);
}

Tri recent(const InstanceStatus& s, std::optional<double> age) {
    if (!age) return Tri::No;  // no such advert ever reached xvrrpd or its XDP program
    double interval = s.master_advert_int_ms > 0 ? s.master_advert_int_ms : s.advert_int_ms;
    if (interval <= 0) return Tri::Unknown;
    // Skew_Time is at most one interval (RFC 5798 section 6.1), so 4 intervals is an upper bound.
    return *age < 4 * interval ? Tri::Yes : Tri::No;
}

}  // namespace

Tri hearsAdvertsFrom(const InstanceStatus& s, const std::vector<uint8_t>& source,
                     std::optional<uint64_t> now_mono_ns) {
    if (source.empty() || !s.adverts_from) return Tri::Unknown;
    std::optional<double> age;
    for (const auto& h : *s.adverts_from)
        if (h.addr_key == source) age = younger(age, h.age_ms);
    // XDP absorbs the followed master's adverts without telling xvrrpd: its timestamp counts
    // for that source only.
    if (s.kernel_master_key == source) age = younger(age, kernelAge(s, now_mono_ns));
    return recent(s, age);
}

}  // namespace xvrrp::arbiter
