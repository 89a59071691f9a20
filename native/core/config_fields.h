// The one table of model config fields: name, type, allowed values and documentation. Reading and
// writing JSON, the per-field checks and the TypeScript `ModelConfig` (generated from the addon's
// configSchema() by scripts/gen-config-fields.js) all follow from it.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "config.h"
#include "json.h"

namespace rg {

enum class FieldType { Int, Number, Boolean, Choice, IntList, NumberList };

struct FieldSpec {
  std::string name;
  FieldType type;
  std::string doc;
  // Int, Number and every entry of a list: within [min, max], an open end where min_open/max_open.
  double min = 0, max = 0;
  bool min_open = false, max_open = false;
  std::vector<std::string> choices;       // Choice
  size_t min_length = 0, max_length = 0;  // lists
  std::function<json::Value(const ModelConfig&)> get;
  // Called with a value that check_field() accepted.
  std::function<void(ModelConfig&, const json::Value&)> set;
};

const std::vector<FieldSpec>& config_fields();
const char* field_type_name(FieldType type);

// What the field accepts, in words: "an integer in [1, 128]", "one of 'x0', 'v'", ...
std::string describe(const FieldSpec& spec);

// Throws rg::Error(kConfig) "config.NAME must be DESCRIPTION, got VALUE" when `value` breaks `spec`.
void check_field(const FieldSpec& spec, const json::Value& value);

}  // namespace rg
