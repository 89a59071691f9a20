#include "json.h"

#include <cerrno>
#include <clocale>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <unordered_set>

namespace rg::json {

namespace {

[[noreturn]] void type_error(const char* expected, Value::Type got) {
  throw Error(kConfig, std::string("JSON value: expected ") + expected + ", got " + type_name(got));
}

// The decimal point of the C library's current locale; strtod/snprintf obey it, JSON does not.
char locale_decimal_point() {
  const std::lconv* lc = std::localeconv();
  return (lc && lc->decimal_point && lc->decimal_point[0]) ? lc->decimal_point[0] : '.';
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

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Parser {
 public:
  Parser(std::string_view text, int max_depth) : s_(text), max_depth_(max_depth) {}

  Value run() {
    skip_ws();
    Value v = value(0);
    skip_ws();
    if (pos_ != s_.size()) fail("unexpected data after the value");
    return v;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
  int max_depth_;

  [[noreturn]] void fail(const std::string& reason) const { fail_at(pos_, reason); }
  [[noreturn]] static void fail_at(size_t at, const std::string& reason) {
    throw Error(kConfig, "invalid JSON at byte " + std::to_string(at) + ": " + reason);
  }

  bool at_end() const { return pos_ >= s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[pos_]; }

  void skip_ws() {
    while (!at_end()) {
      const char c = s_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  void expect_literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) fail("invalid literal");
    pos_ += word.size();
  }

  Value value(int depth) {
    if (at_end()) fail("unexpected end of input");
    switch (s_[pos_]) {
      case '{': return object(depth + 1);
      case '[': return array(depth + 1);
      case '"': return Value(string());
      case 't': expect_literal("true"); return Value(true);
      case 'f': expect_literal("false"); return Value(false);
      case 'n': expect_literal("null"); return Value();
      default:
        if (s_[pos_] == '-' || (s_[pos_] >= '0' && s_[pos_] <= '9')) return Value(number());
        fail("unexpected character");
    }
  }

  void enter(int depth) {
    if (depth > max_depth_) fail("nesting deeper than " + std::to_string(max_depth_));
    ++pos_;  // the opening bracket
    skip_ws();
  }

  Value array(int depth) {
    enter(depth);
    Value out = Value::array();
    if (peek() == ']') {
      ++pos_;
      return out;
    }
    for (;;) {
      out.push(value(depth));
      skip_ws();
      const char c = peek();
      ++pos_;
      if (c == ']') return out;
      if (c != ',') fail_at(pos_ - 1, "expected ',' or ']'");
      skip_ws();
    }
  }

  Value object(int depth) {
    enter(depth);
    Value out = Value::object();
    Value::Object& members = out.as_object();
    if (peek() == '}') {
      ++pos_;
      return out;
    }
    // Linear duplicate search is fastest for small objects; large ones switch to a hash set.
    std::unique_ptr<std::unordered_set<std::string>> seen;
    for (;;) {
      if (peek() != '"') fail("expected a string key");
      const size_t key_at = pos_;
      std::string key = string();
      bool duplicate = false;
      if (!seen && members.size() < 16) {
        for (const auto& m : members) duplicate = duplicate || m.first == key;
      } else {
        if (!seen) {
          seen = std::make_unique<std::unordered_set<std::string>>();
          for (const auto& m : members) seen->insert(m.first);
        }
        duplicate = !seen->insert(key).second;
      }
      if (duplicate) fail_at(key_at, "duplicate key \"" + key + "\"");
      skip_ws();
      if (peek() != ':') fail("expected ':'");
      ++pos_;
      skip_ws();
      members.emplace_back(std::move(key), value(depth));
      skip_ws();
      const char c = peek();
      ++pos_;
      if (c == '}') return out;
      if (c != ',') fail_at(pos_ - 1, "expected ',' or '}'");
      skip_ws();
    }
  }

  uint32_t hex4() {
    if (s_.size() - pos_ < 4) fail("truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_ + i];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= c - '0';
      else if (c >= 'a' && c <= 'f')
        v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        v |= c - 'A' + 10;
      else
        fail_at(pos_ + i, "invalid hex digit in \\u escape");
    }
    pos_ += 4;
    return v;
  }

  std::string string() {
    ++pos_;  // opening quote
    std::string out;
    for (;;) {
      if (at_end()) fail("unterminated string");
      const unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) fail("control character in string");
      if (c == '\\') {
        ++pos_;
        if (at_end()) fail("unterminated string");
        const char e = s_[pos_++];
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            const size_t esc_at = pos_ - 2;
            uint32_t cp = hex4();
            if (cp >= 0xDC00 && cp <= 0xDFFF) fail_at(esc_at, "unpaired low surrogate");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
              if (s_.substr(pos_, 2) != "\\u") fail_at(esc_at, "unpaired high surrogate");
              pos_ += 2;
              const uint32_t lo = hex4();
              if (lo < 0xDC00 || lo > 0xDFFF) fail_at(esc_at, "unpaired high surrogate");
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            append_utf8(out, cp);
            break;
          }
          default: fail_at(pos_ - 1, "invalid escape");
        }
        continue;
      }
      // Copy a run of plain bytes, validating multi-byte UTF-8 sequences.
      const size_t len = utf8_sequence_length(s_, pos_);
      if (len == 0) fail("invalid UTF-8");
      out.append(s_.data() + pos_, len);
      pos_ += len;
    }
  }

  double number() {
    const size_t start = pos_;
    const auto digit = [&] { return !at_end() && s_[pos_] >= '0' && s_[pos_] <= '9'; };
    if (peek() == '-') ++pos_;
    if (peek() == '0') {
      ++pos_;
      if (digit()) fail("leading zero in number");
    } else if (digit()) {
      while (digit()) ++pos_;
    } else {
      fail("expected a digit");
    }
    if (peek() == '.') {
      ++pos_;
      if (!digit()) fail("expected a digit after '.'");
      while (digit()) ++pos_;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!digit()) fail("expected a digit in exponent");
      while (digit()) ++pos_;
    }
    // strtod needs a terminated string and reads the locale's decimal point.
    std::string token(s_.substr(start, pos_ - start));
    const char dp = locale_decimal_point();
    if (dp != '.')
      for (char& c : token)
        if (c == '.') c = dp;
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(token.c_str(), &end);
    if (end != token.c_str() + token.size()) fail_at(start, "invalid number");
    // Underflow quietly rounds toward zero; overflow has no finite value to give.
    if (std::isinf(v)) fail_at(start, "number out of range");
    return v;
  }
};

void dump_string(std::string& out, const std::string& s) {
  if (!is_valid_utf8(s)) throw Error(kConfig, "JSON dump: string is not valid UTF-8");
  out += '"';
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

void dump_number(std::string& out, double x) {
  if (!std::isfinite(x)) throw Error(kConfig, "JSON dump: number is not finite");
  char buf[40];
  if (x == std::floor(x) && std::fabs(x) < 9007199254740992.0) {
    // "-0" keeps the sign of negative zero through a round trip.
    if (x == 0 && std::signbit(x)) {
      out += "-0";
      return;
    }
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(x));
    out += buf;
    return;
  }
  std::snprintf(buf, sizeof buf, "%.17g", x);
  const char dp = locale_decimal_point();
  for (char* p = buf; *p; ++p)
    if (*p == dp) *p = '.';
  out += buf;
}

void dump_value(std::string& out, const Value& v) {
  switch (v.type()) {
    case Value::Type::Null: out += "null"; break;
    case Value::Type::Bool: out += v.as_bool() ? "true" : "false"; break;
    case Value::Type::Number: dump_number(out, v.as_number()); break;
    case Value::Type::String: dump_string(out, v.as_string()); break;
    case Value::Type::Array: {
      out += '[';
      bool first = true;
      for (const Value& item : v.as_array()) {
        if (!first) out += ',';
        first = false;
        dump_value(out, item);
      }
      out += ']';
      break;
    }
    case Value::Type::Object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : v.as_object()) {
        if (!first) out += ',';
        first = false;
        dump_string(out, key);
        out += ':';
        dump_value(out, item);
      }
      out += '}';
      break;
    }
  }
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
  return Parser(text, max_depth).run();
}

std::string dump(const Value& v) {
  std::string out;
  dump_value(out, v);
  return out;
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
