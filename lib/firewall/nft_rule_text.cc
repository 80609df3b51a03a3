#include "lib/firewall/nft_rule_text.h"

#include <string_view>

namespace mailflow::firewall {

namespace {

using nlohmann::json;

std::string Value(const json& v, bool quote_strings, int depth = 0);

std::string Scalar(const json& v, bool quote) {
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    return quote && !s.starts_with("@") ? "\"" + s + "\"" : s;
  }
  if (v.is_number_integer() || v.is_number_unsigned()) {
    return std::to_string(v.get<int64_t>());
  }
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return "<value>";
}

std::string Value(const json& v, bool quote, int depth) {
  if (depth > 8) return "...";
  if (v.is_array()) {  // flags: ct state established,related
    std::string out;
    for (const auto& e : v) {
      const std::string text = Value(e, quote, depth + 1);
      out.append(out.empty() ? "" : ",").append(text);
    }
    return out;
  }
  if (!v.is_object() || v.empty()) return Scalar(v, quote);
  const auto first = v.begin();
  const std::string& key = first.key();
  const json& body = first.value();
  if (key == "set" && body.is_array()) {
    std::string out;
    for (const auto& e : body) {
      std::string item;
      if (e.is_array() && e.size() == 2) {  // vmap/map element
        item = Value(e[0], quote, depth + 1) + " : " +
               Value(e[1], quote, depth + 1);
      } else {
        item = Value(e, quote, depth + 1);
      }
      out += (out.empty() ? "" : ", ") + item;
    }
    return "{ " + out + " }";
  }
  if (key == "range" && body.is_array() && body.size() == 2) {
    return Value(body[0], quote, depth + 1) + "-" +
           Value(body[1], quote, depth + 1);
  }
  if (key == "prefix" && body.is_object()) {
    return Scalar(body.value("addr", json()), false) + "/" +
           Scalar(body.value("len", json()), false);
  }
  if (key == "payload" && body.is_object()) {
    return body.value("protocol", "") + " " + body.value("field", "");
  }
  if (key == "meta" && body.is_object()) {
    const std::string k = body.value("key", "");
    // nft prints these without "meta".
    if (k == "iif" || k == "oif" || k == "iifname" || k == "oifname") return k;
    return "meta " + k;
  }
  if (key == "ct" && body.is_object()) return "ct " + body.value("key", "");
  if (key == "accept" || key == "drop" || key == "return" ||
      key == "continue") {
    return key;
  }
  return "<" + key + ">";
}

bool QuotesStrings(const json& left) {
  if (!left.is_object() || !left.contains("meta")) return false;
  const std::string k = left["meta"].value("key", "");
  return k == "iif" || k == "oif" || k == "iifname" || k == "oifname";
}

std::string Statement(const json& stmt) {
  if (!stmt.is_object() || stmt.empty()) return "<statement>";
  const auto first = stmt.begin();
  const std::string& key = first.key();
  const json& body = first.value();
  if (key == "match" && body.is_object()) {
    const json left = body.value("left", json());
    const std::string op = body.value("op", "==");
    const std::string l = Value(left, false);
    const std::string r =
        Value(body.value("right", json()), QuotesStrings(left));
    return l + (op == "==" || op == "in" ? " " : " " + op + " ") + r;
  }
  if (key == "counter") return "counter";
  if (key == "reject") {
    if (!body.is_object()) return "reject";
    const std::string type = body.value("type", "");
    const std::string expr = body.value("expr", "");
    if (type == "tcp reset") return "reject with tcp reset";
    if (type.empty() || (type == "icmpx" && expr == "port-unreachable")) {
      return "reject";
    }
    return "reject with " + type + (expr.empty() ? "" : " " + expr);
  }
  if ((key == "jump" || key == "goto") && body.is_object()) {
    return key + " " + body.value("target", "");
  }
  if (key == "log") {
    return body.is_object() && body.contains("prefix")
               ? "log prefix \"" + body.value("prefix", "") + "\""
               : "log";
  }
  if (key == "limit" && body.is_object()) {
    return "limit rate " + Scalar(body.value("rate", json()), false) + "/" +
           body.value("per", "second");
  }
  if (key == "vmap" && body.is_object()) {
    return Value(body.value("key", json()), false) + " vmap " +
           Value(body.value("data", json()), false);
  }
  if (key == "xt" && body.is_object()) {
    return "xt " + body.value("type", "") + " " + body.value("name", "");
  }
  return Value(stmt, false);
}

}  // namespace

std::string NftRuleText(const json& exprs) {
  std::string out;
  if (!exprs.is_array()) return "<rule>";
  try {
    for (const auto& stmt : exprs) {
      const std::string text = Statement(stmt);  // may throw: nothing added
      out.append(out.empty() ? "" : " ").append(text);
      if (out.size() > kMaxRuleTextChars) {
        out.resize(kMaxRuleTextChars);
        return out + "...";
      }
    }
  } catch (const json::exception&) {  // a field of an unexpected type
    return out + (out.empty() ? "" : " ") + "<rule>";
  }
  return out;
}

}  // namespace mailflow::firewall
