// Command-line options of the file-based tools: `--name value` pairs, all required unless a
// fallback is given.
#pragma once
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "checkpoint.h"
#include "config.h"
#include "error.h"
#include "json.h"

namespace rgtool {

class Args {
 public:
  Args(int argc, char** argv) {
    for (int i = 1; i < argc; i += 2) {
      const std::string k = argv[i];
      if (k.rfind("--", 0) != 0 || i + 1 >= argc) throw rg::Error(rg::kInput, "expected --name value pairs, got " + k);
      values_[k.substr(2)] = argv[i + 1];
    }
  }
  std::string get(const std::string& k, const std::string& fallback = "") const {
    const auto it = values_.find(k);
    if (it != values_.end()) return it->second;
    if (fallback.empty()) throw rg::Error(rg::kInput, "missing --" + k);
    return fallback;
  }
  bool has(const std::string& k) const { return values_.count(k) > 0; }
  // The model config in the JSON file --config names (lib/config.ts's field names).
  rg::ModelConfig config() const {
    std::ifstream f(get("config"));
    if (!f) throw rg::Error(rg::kIo, "cannot open " + get("config"));
    std::stringstream text;
    text << f.rdbuf();
    return rg::config_from_json(rg::json::parse(text.str()));
  }
  // A new model of the --config file, or (--init CHECKPOINT) a trained one to go on training.
  std::unique_ptr<rg::Model> model(torch::Device device) const {
    if (has("init")) return rg::load_checkpoint(get("init"), device);
    return std::make_unique<rg::Model>(config(), device, std::stoull(get("seed", "1")));
  }

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace rgtool
