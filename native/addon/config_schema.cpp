#include "config_schema.h"

#include "config_fields.h"
#include "errors.h"
#include "json.h"

namespace rgaddon {

Napi::Value ConfigSchema(const Napi::CallbackInfo& info) {
  const auto env = info.Env();
  auto fields = Napi::Array::New(env);
  for (const auto& f : rg::config_fields()) {
    auto o = Napi::Object::New(env);
    o.Set("name", f.name);
    o.Set("type", rg::field_type_name(f.type));
    o.Set("doc", f.doc);
    o.Set("accepts", rg::describe(f));
    o.Set("min", f.min);
    o.Set("max", f.max);
    o.Set("minOpen", f.min_open);
    o.Set("maxOpen", f.max_open);
    auto choices = Napi::Array::New(env, f.choices.size());
    for (uint32_t i = 0; i < f.choices.size(); ++i) choices.Set(i, f.choices[i]);
    o.Set("choices", choices);
    o.Set("minLength", static_cast<double>(f.min_length));
    o.Set("maxLength", static_cast<double>(f.max_length));
    fields.Set(fields.Length(), o);
  }
  auto defaults = Napi::Object::New(env);
  for (const auto m : {rg::Modality::Speech, rg::Modality::Image})
    defaults.Set(rg::modality_name(m), rg::json::dump(rg::config_to_json(rg::default_config(m))));
  auto out = Napi::Object::New(env);
  out.Set("fields", fields);
  out.Set("defaults", defaults);
  return out;
}

Napi::Value ValidateConfig(const Napi::CallbackInfo& info) {
  const auto env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "validateConfig(json: string)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const auto text = info[0].As<Napi::String>().Utf8Value();
  std::string normalised;
  Failure failure;
  if (!capture([&] { normalised = rg::json::dump(rg::config_to_json(rg::config_from_json(rg::json::parse(text)))); },
               failure)) {
    make_error(env, failure).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::String::New(env, normalised);
}

}  // namespace rgaddon
