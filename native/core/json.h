// A small JSON value for checkpoint headers and model configurations, read and written by
// nlohmann/json (lexing, UTF-8, numbers) with the limits a hostile file must not get past added on
// top: parsing must reject (never crash on) arbitrary bytes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "error.h"

namespace rg::json {

class Value {
 public:
  enum class Type { Null, Bool, Number, String, Array, Object };
  using Array = std::vector<Value>;
  // Insertion-ordered, so output keeps the order in which keys were set.
  using Object = std::vector<std::pair<std::string, Value>>;

  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool b) : v_(b) {}
  // Any arithmetic type but bool (int, int64_t, size_t, float, double...) becomes a number.
  template <typename T, std::enable_if_t<std::is_arithmetic_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Value(T x) : v_(static_cast<double>(x)) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(std::string_view s) : v_(std::string(s)) {}

  static Value array();
  static Value object();

  Type type() const { return static_cast<Type>(v_.index()); }
  bool is_null() const { return type() == Type::Null; }
  bool is_bool() const { return type() == Type::Bool; }
  bool is_number() const { return type() == Type::Number; }
  bool is_string() const { return type() == Type::String; }
  bool is_array() const { return type() == Type::Array; }
  bool is_object() const { return type() == Type::Object; }

  // Throw rg::Error(kConfig) when the value has another type.
  bool as_bool() const;
  double as_number() const;
  const std::string& as_string() const;
  const Array& as_array() const;
  Array& as_array();
  const Object& as_object() const;
  Object& as_object();

  // Member lookup; nullptr when absent or when this is not an object.
  const Value* find(std::string_view key) const;
  // Replaces the member `key` or appends it. Throws kConfig unless this is an object.
  void set(std::string key, Value v);
  // Appends to an array. Throws kConfig unless this is an array.
  void push(Value v);

  // Deep equality; object members compare in order.
  bool operator==(const Value& other) const { return v_ == other.v_; }
  bool operator!=(const Value& other) const { return !(*this == other); }

 private:
  // Alternatives in the order of Type. One variant keeps a value small (40 bytes), which
  // bounds the memory a hostile document of many tiny values can make the parser allocate.
  std::variant<std::monostate, bool, double, std::string, Array, Object> v_;
};

const char* type_name(Value::Type t);

// Strict RFC 8259: one value, optional surrounding whitespace (and a byte-order mark), UTF-8 text,
// no duplicate keys, arrays/objects nested at most `max_depth` deep. Numbers that overflow a double
// are rejected. Throws rg::Error(kConfig, "invalid JSON at byte N: <reason>", or "invalid JSON:
// <reason>" for the limits).
Value parse(std::string_view text, int max_depth = 64);

// Compact output. Integral numbers with |x| < 2^53 print as integers, others in the shortest form
// that reads back the same.
// Throws rg::Error(kConfig) for non-finite numbers and strings that are not valid UTF-8.
std::string dump(const Value& v);

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or code points > U+10FFFF).
bool is_valid_utf8(std::string_view s);

}  // namespace rg::json
