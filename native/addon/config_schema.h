// The core's config table for TypeScript: the field specs and defaults (from which
// scripts/gen-config-fields.js writes lib/config-fields.ts) and the core's own validation.
#pragma once
#include <napi.h>

namespace rgaddon {

// configSchema(): { fields: [{ name, type, doc, min, max, minOpen, maxOpen, choices, minLength,
// maxLength }], defaults: { speech, image } } (defaults as JSON text).
Napi::Value ConfigSchema(const Napi::CallbackInfo& info);

// validateConfig(json): the config as the core reads it (JSON text), or throws E_CONFIG.
Napi::Value ValidateConfig(const Napi::CallbackInfo& info);

}  // namespace rgaddon
