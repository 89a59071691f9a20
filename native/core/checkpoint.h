// Model checkpoints as safetensors: weights, EMA weights, Adam moments and the generator state
// as tensors (or the EMA weights alone); format, contents, config (JSON) and step count in the
// header metadata.
#pragma once
#include <memory>
#include <string>

#include "model.h"

namespace rg {

// Training: everything needed to resume training exactly. Weights: only the EMA weights that
// restoration uses, a quarter of the size, for shipping a trained model; training from such a
// file starts a fresh optimiser.
enum class CheckpointContents { Training, Weights };

// Atomic: a crash leaves either the previous file or the new one, never a partial file.
void save_checkpoint(Model& model, const std::string& path, CheckpointContents contents = CheckpointContents::Training);

// Validates the file and that every tensor matches the config it carries; throws
// rg::Error(kCheckpoint) naming what is wrong.
std::unique_ptr<Model> load_checkpoint(const std::string& path, torch::Device device);

}  // namespace rg
