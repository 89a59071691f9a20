#include <cmath>
#include <string>

#include "config.h"
#include "config_fields.h"
#include "json.h"
#include "test.h"

namespace {

bool accepts(const rg::FieldSpec& f, const rg::json::Value& v) {
  try {
    rg::check_field(f, v);
    return true;
  } catch (const rg::Error& e) {
    CHECK(e.code() == rg::kConfig);
    CHECK(std::string(e.what()).rfind("config." + f.name + " must be " + rg::describe(f) + ", got ", 0) == 0);
    return false;
  }
}

}  // namespace

TEST_CASE("config fields: each numeric range holds its closed ends, refuses its open ends and what lies outside") {
  for (const auto& f : rg::config_fields()) {
    if (f.type != rg::FieldType::Int && f.type != rg::FieldType::Number) continue;
    const double step = f.type == rg::FieldType::Int ? 1 : 1e-9 * std::max(1.0, std::fabs(f.max));
    CHECK(accepts(f, rg::json::Value(f.min)) == !f.min_open);
    CHECK(accepts(f, rg::json::Value(f.max)) == !f.max_open);
    CHECK(!accepts(f, rg::json::Value(f.min - step)));
    CHECK(!accepts(f, rg::json::Value(f.max + step)));
    CHECK(!accepts(f, rg::json::Value("1")));
    if (f.type == rg::FieldType::Int) CHECK(!accepts(f, rg::json::Value(f.min + 0.5)));
  }
}

TEST_CASE("config fields: choices, booleans and lists are checked by type, value and length") {
  for (const auto& f : rg::config_fields()) {
    if (f.type == rg::FieldType::Choice) {
      for (const auto& c : f.choices) CHECK(accepts(f, rg::json::Value(c)));
      CHECK(!accepts(f, rg::json::Value("none of them")));
      CHECK(!accepts(f, rg::json::Value(1)));
    } else if (f.type == rg::FieldType::Boolean) {
      CHECK(accepts(f, rg::json::Value(true)));
      CHECK(!accepts(f, rg::json::Value(0)));
    } else if (f.type == rg::FieldType::IntList || f.type == rg::FieldType::NumberList) {
      auto inside = rg::json::Value::array(), outside = rg::json::Value::array();
      for (size_t i = 0; i < std::max<size_t>(f.min_length, 1); ++i)
        inside.push(rg::json::Value(f.max_open ? f.min + (f.max - f.min) / 2 : f.max));
      outside.push(rg::json::Value(f.max + 1));
      CHECK(accepts(f, inside));
      CHECK(!accepts(f, outside));
      CHECK(!accepts(f, rg::json::Value(f.min)));  // a number, not a list
      auto too_long = rg::json::Value::array();
      for (size_t i = 0; i <= f.max_length; ++i) too_long.push(rg::json::Value(f.min + (f.max - f.min) / 2));
      CHECK(!accepts(f, too_long));
    }
  }
}

TEST_CASE("config fields: the defaults round-trip through JSON, and rules between fields have their own messages") {
  for (const auto m : {rg::Modality::Speech, rg::Modality::Image}) {
    const auto json = rg::config_to_json(rg::default_config(m));
    CHECK(json.as_object().size() == rg::config_fields().size());
    CHECK(rg::json::dump(rg::config_to_json(rg::config_from_json(json))) == rg::json::dump(json));
  }
  const auto refused = [](const std::string& text) {
    try {
      rg::config_from_json(rg::json::parse(text));
    } catch (const rg::Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK(refused(R"({"residualLayers": 200})") == "config.residualLayers must be an integer in [1, 128], got 200");
  CHECK(refused(R"({"prior": "magic"})") ==
        "config.prior must be one of 'standard', 'priorgrad', 'learned', got \"magic\"");
  CHECK(refused(R"({"hop": 512, "nFft": 256, "upsampler": "repeat"})") == "config.hop must not exceed nFft");
  CHECK(refused(R"({"modality": "video"})") == "config.modality must be one of 'speech', 'image', got \"video\"");
  CHECK(refused(R"({"imageChannels": 2})") == "config.imageChannels must be 1 or 3");
  CHECK(refused(R"({"lr": 2e-4, "colour": 1})") == "unknown config field 'colour'");
}
