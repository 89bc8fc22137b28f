#pragma once
// Bodies for etcd v3's JSON gateway (/v3/..., served by etcd 3.4 and later; keys and values
// base64, 64-bit integers as strings) and the few fields the arbiter reads from its answers.
// Pure; throws std::invalid_argument on an answer it cannot read.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "witness/witness_model.hpp"

namespace xvrrp::arbiter::witness {

std::string base64(const std::string& bytes);
std::string unbase64(const std::string& text);  // throws std::invalid_argument

// The key just past every key that starts with prefix (etcd's range_end for a prefix).
std::string prefixEnd(const std::string& prefix);

nlohmann::json rangeBody(const std::string& prefix);
nlohmann::json grantBody(int64_t ttl_s);
nlohmann::json keepaliveBody(int64_t lease);
// Txn on create_revision: 0 to campaign, our token to refresh (a put keeps the create
// revision and bumps the mod revision, which peers read as "the owner is alive") or release.
nlohmann::json campaignBody(const std::string& key, const std::string& node, int64_t lease);
nlohmann::json refreshBody(const std::string& key, const std::string& node, int64_t lease,
                           int64_t token);
nlohmann::json releaseBody(const std::string& key, int64_t token);

// {"error"|"message", "code"} from the gateway: the text, or nullopt for a normal answer.
std::optional<std::string> gatewayError(const nlohmann::json& doc);
// Keys under prefix, by the rest of their name (the instance).
std::map<std::string, KeyInfo> parseRange(const nlohmann::json& doc, const std::string& prefix);
struct LeaseAnswer {
    int64_t id = 0;
    int64_t ttl_s = 0;  // 0: etcd does not know the lease (expired)
};
LeaseAnswer parseGrant(const nlohmann::json& doc);
LeaseAnswer parseKeepalive(const nlohmann::json& doc);
struct TxnAnswer {
    bool succeeded = false;
    int64_t revision = 0;         // the header's: a successful put's create/mod revision
    std::optional<KeyInfo> key;  // the failure branch's read of the key
};
TxnAnswer parseTxn(const nlohmann::json& doc);

}  // namespace xvrrp::arbiter::witness
