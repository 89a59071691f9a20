#include "json.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <unordered_set>

namespace rg::json {

// nlohmann/json lexes and checks the text (RFC 8259, UTF-8, escapes, numbers); this handler builds
// Values from its events and adds the rules a hostile document must not get past: a depth limit,
// no duplicate keys, finite numbers.
namespace {

[[noreturn]] void type_error(const char* expected, Value::Type got) {
  throw Error(kConfig, std::string("JSON value: expected ") + expected + ", got " + type_name(got));
}

[[noreturn]] void invalid(const std::string& why) {
  throw Error(kConfig, "invalid JSON: " + why);
}

class Builder : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit Builder(int max_depth) : max_depth_(max_depth) {}
  Value result() { return std::move(root_); }

  bool null() override { return add(Value()); }
  bool boolean(bool b) override { return add(Value(b)); }
  bool number_integer(number_integer_t x) override { return add(Value(static_cast<double>(x))); }
  bool number_unsigned(number_unsigned_t x) override { return add(Value(static_cast<double>(x))); }
  bool number_float(number_float_t x, const string_t&) override {
    if (!std::isfinite(x)) invalid("number out of range");
    return add(Value(x));
  }
  bool string(string_t& s) override { return add(Value(std::move(s))); }
  bool binary(binary_t&) override { invalid("binary value"); }
  bool start_object(std::size_t) override {
    open(Value::object());
    keys_.emplace_back();
    return true;
  }
  bool key(string_t& k) override {
    if (!keys_.back().insert(k).second) invalid("duplicate key \"" + k + "\"");
    key_ = std::move(k);
    return true;
  }
  bool end_object() override {
    keys_.pop_back();
    open_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override {
    open(Value::array());
    return true;
  }
  bool end_array() override {
    open_.pop_back();
    return true;
  }
  bool parse_error(std::size_t byte, const std::string&, const nlohmann::detail::exception& e) override {
    // The reason alone, without nlohmann's exception id and line/column (byte is 1-based), in ASCII:
    // the text it quotes may be the invalid UTF-8 it refuses.
    std::string why = e.what();
    if (why.rfind('[', 0) == 0) why = why.substr(why.find("] ") + 2);
    if (why.rfind("parse error", 0) == 0 && why.find(": ") != std::string::npos) why = why.substr(why.find(": ") + 2);
    for (char& c : why)
      if (static_cast<unsigned char>(c) >= 0x80) c = '?';
    throw Error(kConfig, "invalid JSON at byte " + std::to_string(byte) + ": " + why);
  }

 private:
  // Places v in the open container (or as the root); returns it where it now lives.
  Value* place(Value v) {
    if (open_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Value& parent = *open_.back();
    if (parent.is_array()) {
      parent.push(std::move(v));
      return &parent.as_array().back();
    }
    parent.as_object().emplace_back(std::move(key_), std::move(v));
    return &parent.as_object().back().second;
  }
  bool add(Value v) {
    place(std::move(v));
    return true;
  }
  void open(Value container) {
    if (static_cast<int>(open_.size()) >= max_depth_)
      invalid("nested deeper than " + std::to_string(max_depth_) + " levels");
    open_.push_back(place(std::move(container)));
  }

  const int max_depth_;
  Value root_;
  std::vector<Value*> open_;  // the containers being filled, innermost last
  std::vector<std::unordered_set<std::string>> keys_;
  std::string key_;
};

nlohmann::ordered_json to_nlohmann(const Value& v) {
  switch (v.type()) {
    case Value::Type::Null: return nullptr;
    case Value::Type::Bool: return v.as_bool();
    case Value::Type::Number: {
      const double x = v.as_number();
      if (!std::isfinite(x)) throw Error(kConfig, "JSON dump: number is not finite");
      // Integers print as integers; -0 stays a double so that its sign survives.
      if (x == std::floor(x) && std::fabs(x) < 9007199254740992.0 && !(x == 0 && std::signbit(x)))
        return static_cast<int64_t>(x);
      return x;
    }
    case Value::Type::String: return v.as_string();
    case Value::Type::Array: {
      auto a = nlohmann::ordered_json::array();
      for (const auto& item : v.as_array()) a.push_back(to_nlohmann(item));
      return a;
    }
    case Value::Type::Object: {
      auto o = nlohmann::ordered_json::object();
      for (const auto& [key, item] : v.as_object()) o[key] = to_nlohmann(item);
      return o;
    }
  }
  return nullptr;
}

// Length of the UTF-8 sequence starting at s[i] (0 when malformed).
size_t utf8_sequence_length(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // UTF-16 surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() - i < len) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (size_t k = 2; k < len; ++k)
    if ((b(i + k) & 0xC0) != 0x80) return 0;
  return len;
}

}  // namespace

const char* type_name(Value::Type t) {
  switch (t) {
    case Value::Type::Null: return "null";
    case Value::Type::Bool: return "a bool";
    case Value::Type::Number: return "a number";
    case Value::Type::String: return "a string";
    case Value::Type::Array: return "an array";
    case Value::Type::Object: return "an object";
  }
  return "?";
}

Value Value::array() {
  Value v;
  v.v_ = Array();
  return v;
}

Value Value::object() {
  Value v;
  v.v_ = Object();
  return v;
}

bool Value::as_bool() const {
  if (!is_bool()) type_error("a bool", type());
  return std::get<bool>(v_);
}

double Value::as_number() const {
  if (!is_number()) type_error("a number", type());
  return std::get<double>(v_);
}

const std::string& Value::as_string() const {
  if (!is_string()) type_error("a string", type());
  return std::get<std::string>(v_);
}

const Value::Array& Value::as_array() const {
  if (!is_array()) type_error("an array", type());
  return std::get<Array>(v_);
}

Value::Array& Value::as_array() {
  if (!is_array()) type_error("an array", type());
  return std::get<Array>(v_);
}

const Value::Object& Value::as_object() const {
  if (!is_object()) type_error("an object", type());
  return std::get<Object>(v_);
}

Value::Object& Value::as_object() {
  if (!is_object()) type_error("an object", type());
  return std::get<Object>(v_);
}

const Value* Value::find(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const auto& m : std::get<Object>(v_))
    if (m.first == key) return &m.second;
  return nullptr;
}

void Value::set(std::string key, Value v) {
  Object& members = as_object();
  for (auto& m : members) {
    if (m.first == key) {
      m.second = std::move(v);
      return;
    }
  }
  members.emplace_back(std::move(key), std::move(v));
}

void Value::push(Value v) {
  as_array().push_back(std::move(v));
}

Value parse(std::string_view text, int max_depth) {
  // A raw NUL is never valid JSON, but would end nlohmann's input early.
  if (const auto nul = text.find('\0'); nul != std::string_view::npos)
    throw Error(kConfig, "invalid JSON at byte " + std::to_string(nul) + ": NUL byte");
  Builder builder(max_depth);
  nlohmann::json::sax_parse(text.begin(), text.end(), &builder);
  return builder.result();
}

std::string dump(const Value& v) {
  try {
    return to_nlohmann(v).dump();
  } catch (const nlohmann::json::type_error&) {
    throw Error(kConfig, "JSON dump: string is not valid UTF-8");
  }
}

bool is_valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t len = utf8_sequence_length(s, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

}  // namespace rg::json
