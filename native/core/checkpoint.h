// Model checkpoints as safetensors: weights, EMA weights, Adam moments and the generator state
// as tensors; format, config (JSON) and step count in the header metadata.
#pragma once
#include <memory>
#include <string>

#include "model.h"

namespace rg {

// Atomic: a crash leaves either the previous file or the new one, never a partial file.
void save_checkpoint(Model& model, const std::string& path);

// Validates the file and that every tensor matches the config it carries; throws
// rg::Error(kCheckpoint) naming what is wrong.
std::unique_ptr<Model> load_checkpoint(const std::string& path, torch::Device device);

}  // namespace rg
