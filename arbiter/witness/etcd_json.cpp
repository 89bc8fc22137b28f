#include "witness/etcd_json.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace xvrrp::arbiter::witness {

using nlohmann::json;

std::string base64(const std::string& bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(bytes.data()),
                            static_cast<int>(bytes.size()));
    out.resize(static_cast<size_t>(n));
    return out;
}

std::string unbase64(const std::string& text) {
    if (text.size() % 4 != 0) throw std::invalid_argument("base64 of a length not a multiple of 4");
    std::string out(3 * text.size() / 4 + 1, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(text.data()),
                            static_cast<int>(text.size()));
    if (n < 0) throw std::invalid_argument("bad base64");
    // EVP_DecodeBlock counts the padding as zero bytes.
    size_t pad = 0;
    if (!text.empty() && text.back() == '=') pad = text.size() > 1 && text[text.size() - 2] == '=' ? 2 : 1;
    out.resize(static_cast<size_t>(n) - pad);
    return out;
}

std::string prefixEnd(const std::string& prefix) {
    std::string end = prefix;
    while (!end.empty()) {
        auto& c = reinterpret_cast<unsigned char&>(end.back());
        if (c < 0xff) {
            ++c;
            return end;
        }
        end.pop_back();
    }
    return std::string(1, '\0');  // every key
}

namespace {

// The gateway writes int64 as strings and leaves out zero values.
int64_t i64(const json& j, const char* field) {
    auto it = j.find(field);
    if (it == j.end()) return 0;
    if (it->is_number_integer()) return it->get<int64_t>();
    if (!it->is_string()) throw std::invalid_argument(std::string(field) + ": not an integer");
    const std::string& s = it->get_ref<const std::string&>();
    size_t used = 0;
    int64_t v = 0;
    try {
        v = std::stoll(s, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != s.size())
        throw std::invalid_argument(std::string(field) + ": not an integer: '" + s + "'");
    return v;
}

json compareCreate(const std::string& key, int64_t rev) {
    return {{"key", base64(key)}, {"target", "CREATE"}, {"create_revision", std::to_string(rev)}};
}

json readKey(const std::string& key) { return {{"request_range", {{"key", base64(key)}}}}; }

json put(const std::string& key, const std::string& node, int64_t lease) {
    return {{"request_put",
             {{"key", base64(key)}, {"value", base64(node)}, {"lease", std::to_string(lease)}}}};
}

KeyInfo keyInfo(const json& kv) {
    KeyInfo k;
    k.value = unbase64(kv.value("value", ""));
    k.create_rev = i64(kv, "create_revision");
    k.mod_rev = i64(kv, "mod_revision");
    k.lease = i64(kv, "lease");
    return k;
}

}  // namespace

json rangeBody(const std::string& prefix) {
    return {{"key", base64(prefix)}, {"range_end", base64(prefixEnd(prefix))}};
}

json grantBody(int64_t ttl_s) { return {{"TTL", std::to_string(ttl_s)}}; }

json keepaliveBody(int64_t lease) { return {{"ID", std::to_string(lease)}}; }

json campaignBody(const std::string& key, const std::string& node, int64_t lease) {
    return {{"compare", json::array({compareCreate(key, 0)})},
            {"success", json::array({put(key, node, lease)})},
            {"failure", json::array({readKey(key)})}};
}

json refreshBody(const std::string& key, const std::string& node, int64_t lease, int64_t token) {
    return {{"compare", json::array({compareCreate(key, token)})},
            {"success", json::array({put(key, node, lease)})},
            {"failure", json::array({readKey(key)})}};
}

json releaseBody(const std::string& key, int64_t token) {
    return {{"compare", json::array({compareCreate(key, token)})},
            {"success", json::array({{{"request_delete_range", {{"key", base64(key)}}}}})},
            {"failure", json::array({readKey(key)})}};
}

std::optional<std::string> gatewayError(const json& doc) {
    if (!doc.is_object()) return "not a JSON object";
    for (const char* f : {"error", "message"})
        if (doc.contains(f) && doc[f].is_string() && !doc.contains("header"))
            return doc[f].get<std::string>();
    return std::nullopt;
}

std::map<std::string, KeyInfo> parseRange(const json& doc, const std::string& prefix) {
    if (!doc.is_object() || !doc.contains("header"))
        throw std::invalid_argument("range: no header");
    std::map<std::string, KeyInfo> out;
    for (const auto& kv : doc.value("kvs", json::array())) {
        std::string key = unbase64(kv.value("key", ""));
        if (!key.starts_with(prefix)) throw std::invalid_argument("range: a key outside the prefix");
        out[key.substr(prefix.size())] = keyInfo(kv);
    }
    return out;
}

LeaseAnswer parseGrant(const json& doc) {
    if (auto e = gatewayError(doc)) throw std::invalid_argument("lease grant: " + *e);
    return {i64(doc, "ID"), i64(doc, "TTL")};
}

LeaseAnswer parseKeepalive(const json& doc) {
    if (!doc.is_object() || !doc.contains("result") || !doc["result"].is_object()) {
        auto e = doc.is_object() && doc.contains("error") ? doc["error"].dump() : doc.dump();
        throw std::invalid_argument("lease keepalive: " + e.substr(0, 200));
    }
    return {i64(doc["result"], "ID"), i64(doc["result"], "TTL")};
}

TxnAnswer parseTxn(const json& doc) {
    if (auto e = gatewayError(doc)) throw std::invalid_argument("txn: " + *e);
    if (!doc.contains("header")) throw std::invalid_argument("txn: no header");
    TxnAnswer t;
    t.succeeded = doc.value("succeeded", false);
    t.revision = i64(doc["header"], "revision");
    for (const auto& r : doc.value("responses", json::array())) {
        if (!r.contains("response_range")) continue;
        const auto& kvs = r["response_range"].value("kvs", json::array());
        if (!kvs.empty()) t.key = keyInfo(kvs.front());
    }
    return t;
}

}  // namespace xvrrp::arbiter::witness
