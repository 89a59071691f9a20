// The safetensors checkpoint format: u64 little-endian header length N, N bytes of JSON header
// (name -> {dtype, shape, data_offsets}, optional "__metadata__" of string -> string), then
// the data buffer. Readers validate the whole header before copying any tensor data, since
// checkpoints may come from untrusted sources.
#pragma once
#include <torch/torch.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "error.h"

namespace rg {

struct SafetensorsFile {
  std::map<std::string, std::string> metadata;
  std::map<std::string, torch::Tensor> tensors;  // CPU, contiguous, owning their memory
};

// Writes atomically: a temporary file in the same directory is written, fsynced and renamed
// over `path`, then the directory is fsynced. Tensors may live on any device and have any
// strides. Names are sorted, data is laid out in name order without gaps, and the header is
// space-padded to a multiple of 8 bytes. Supported dtypes: F32 F64 F16 BF16 I64 I32 I16 I8 U8 BOOL.
// Throws rg::Error(kInput) for tensors that cannot be stored (undefined, sparse, unsupported
// dtype, reserved name, invalid UTF-8) and rg::Error(kIo) for file-system failures, in which
// case no temporary file is left behind.
void write_safetensors(const std::string& path, const std::map<std::string, torch::Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// Parses a complete file image. Throws rg::Error(kCheckpoint) naming the offending tensor or
// field when anything is malformed: header length, JSON, keys, dtype, shape, offsets,
// overlapping or missing byte ranges, trailing bytes, BOOL bytes other than 0 and 1.
SafetensorsFile parse_safetensors(const uint8_t* data, size_t size);

// Reads and parses `path`. Files larger than `max_bytes` are rejected before reading; tensor
// data is read straight into the tensors. Throws rg::Error(kCheckpoint) for missing,
// unreadable, oversized or malformed files.
SafetensorsFile read_safetensors(const std::string& path, uint64_t max_bytes = uint64_t{1} << 34);

}  // namespace rg
