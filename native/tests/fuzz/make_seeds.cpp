// Writes the seed corpora of the fuzz targets into OUT/<target>/: real checkpoints of minimal
// models and hand-made edge cases. Seeds named valid-* must be accepted and invalid-* rejected;
// native/tests/test_fuzz_corpus.cpp checks both when it replays test/fuzz/corpus/. Built and run
// by scripts/fuzz.sh:
//   make_seeds OUT            the committed seeds (a few KB each), deterministic
//   make_seeds OUT --tiny     only checkpoints of the tiny test config of native/tests/helpers.h
//                             (about 200 KB each, too large to commit; extra seeds for a fuzz run)
#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "../helpers.h"
#include "checkpoint.h"
#include "config.h"
#include "json.h"
#include "model.h"
#include "safetensors.h"
#include "trainer.h"

namespace {

using Bytes = std::vector<uint8_t>;
using Tensors = std::map<std::string, torch::Tensor>;
using Metadata = std::map<std::string, std::string>;

std::string g_out;

std::string dir(const std::string& target) {
  const std::string d = g_out + "/" + target;
  ::mkdir(d.c_str(), 0777);
  return d;
}

void write_file(const std::string& target, const std::string& name, const std::string& bytes) {
  std::ofstream f(dir(target) + "/" + name, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f) {
    std::fprintf(stderr, "make_seeds: cannot write %s/%s\n", target.c_str(), name.c_str());
    std::exit(1);
  }
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// A safetensors image: the length prefix (or `length` when given), the header, the data.
std::string image(const std::string& header, const std::string& data = "", uint64_t length = UINT64_MAX) {
  const uint64_t n = length == UINT64_MAX ? header.size() : length;
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(n >> (8 * i));
  return out + header + data;
}

// A minimal model: every size 1 where the config allows it.
rg::ModelConfig micro(rg::PriorKind prior, const std::string& upsampler = "repeat") {
  rg::ModelConfig c;
  c.prior = prior;
  c.residual_layers = 1;
  c.residual_channels = 1;
  c.dilation_cycle = 1;
  c.n_fft = upsampler == "repeat" ? 16 : 256;
  c.hop = upsampler == "repeat" ? 16 : 256;
  c.upsampler = upsampler;
  c.embedding_hidden = 1;
  c.encoder_width = 1;
  c.encoder_blocks = 1;
  c.train_steps = 2;
  return c;
}

// A checkpoint of a fresh model, or of one trained for `steps` steps (its generator state then
// sits in the middle of a period and the Adam moments are not zero).
std::string checkpoint(const rg::ModelConfig& c, int steps) {
  rg::Model m(c, torch::kCPU, 7);
  if (steps > 0) {
    const auto [x0, y] = rgtest::tone_pair(1, 4 * c.hop);
    for (int i = 0; i < steps; ++i) rg::train_step(m, x0, y, 1e-3);
  }
  const std::string path = g_out + "/.checkpoint.tmp";
  rg::save_checkpoint(m, path);
  std::string bytes = read_file(path);
  std::remove(path.c_str());
  return bytes;
}

// Rewrites a checkpoint image through the safetensors writer after `edit`.
template <typename Edit>
std::string edited(const std::string& bytes, Edit edit) {
  rg::SafetensorsFile f = rg::parse_safetensors(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  edit(f.tensors, f.metadata);
  const std::string path = g_out + "/.edited.tmp";
  rg::write_safetensors(path, f.tensors, f.metadata);
  std::string out = read_file(path);
  std::remove(path.c_str());
  return out;
}

// A checkpoint without tensors: loading fails on the metadata, or later on the first tensor.
std::string metadata_only(const Metadata& meta) {
  const std::string path = g_out + "/.meta.tmp";
  rg::write_safetensors(path, {}, meta);
  std::string out = read_file(path);
  std::remove(path.c_str());
  return out;
}

std::string config_text(const rg::ModelConfig& c) {
  return rg::json::dump(rg::config_to_json(c));
}

void json_seeds() {
  const std::string t = "json";
  write_file(t, "valid-document",
             R"({"a":[1,-0,2.5e-3,1E+2,true,false,null,""],"b":{"c":"\u00e9\ud83d\ude00\n\"\\\/\b\f\r\t"}})");
  write_file(t, "valid-numbers",
             "[0,-0,1e308,-1e-400,9007199254740993,123456789012345678901234567890,0.1,2.2250738585072014e-308,"
             "4.9e-324,-1.7976931348623157e308]");
  write_file(t, "valid-whitespace", " \t\r\n{ \"k\" : [ ] , \"l\" :{ } }\n");
  write_file(t, "valid-utf8", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"");
  write_file(t, "valid-control-escapes", R"(["\u0000\u001f\u007f","\uD834\uDD1E"])");
  write_file(t, "valid-depth-64", std::string(64, '[') + std::string(64, ']'));
  write_file(t, "invalid-depth-65", std::string(65, '[') + std::string(65, ']'));
  std::string many = "{";
  for (int i = 0; i < 20; ++i) many += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
  write_file(t, "valid-many-keys", many + "}");
  write_file(t, "invalid-many-keys-duplicate", many + ",\"k3\":0}");
  write_file(t, "invalid-duplicate-key", R"({"a":1,"a":2})");
  write_file(t, "invalid-trailing-comma", "[1,]");
  write_file(t, "invalid-trailing-data", "{} x");
  write_file(t, "invalid-empty", "");
  write_file(t, "invalid-leading-zero", "01");
  write_file(t, "invalid-nan", "[NaN]");
  write_file(t, "invalid-overflow", "1e309");
  write_file(t, "invalid-lone-high-surrogate", R"("\ud800x")");
  write_file(t, "invalid-lone-low-surrogate", R"("\udc00")");
  write_file(t, "invalid-overlong-utf8", "\"\xc0\xaf\"");
  write_file(t, "invalid-surrogate-utf8", "\"\xed\xa0\x80\"");
  write_file(t, "invalid-control-char", "\"a\x01\"");
  write_file(t, "invalid-bad-escape", R"("\x")");
  write_file(t, "invalid-truncated-escape", R"("\u12)");
  write_file(t, "valid-config", config_text(rg::ModelConfig{}));
}

void config_seeds() {
  const std::string t = "config";
  write_file(t, "valid-default", config_text(rg::ModelConfig{}));
  write_file(t, "valid-tiny-learned", config_text(rgtest::tiny(rg::PriorKind::Learned)));
  write_file(t, "valid-tiny-priorgrad", config_text(rgtest::tiny(rg::PriorKind::PriorGrad)));
  write_file(t, "valid-micro-transposed", config_text(micro(rg::PriorKind::Standard, "transposed")));
  write_file(t, "valid-empty", "{}");
  write_file(t, "valid-partial", R"({"prior":"standard","residualLayers":2,"fastBetas":[0.5]})");
  write_file(t, "valid-largest",
             R"({"residualLayers":128,"residualChannels":1024,"nFft":8192,"upsampler":"repeat","hop":8192,)"
             R"("embeddingHidden":4096,"encoderWidth":256,"encoderBlocks":16,"trainSteps":10000})");
  write_file(t, "invalid-not-object", "[]");
  write_file(t, "invalid-unknown-key", R"({"residualLayer":4})");
  write_file(t, "invalid-type", R"({"residualLayers":"4"})");
  write_file(t, "invalid-fraction", R"({"hop":1.5})");
  write_file(t, "invalid-huge-integer", R"({"nFft":1e10})");
  write_file(t, "invalid-range", R"({"residualLayers":0})");
  write_file(t, "invalid-prior", R"({"prior":"gaussian"})");
  write_file(t, "invalid-transposed-hop", R"({"upsampler":"transposed","hop":128})");
  write_file(t, "invalid-empty-betas", R"({"fastBetas":[]})");
  write_file(t, "invalid-beta", R"({"fast3Betas":[0.5,1]})");
  write_file(t, "invalid-beta-type", R"({"fastBetas":[0.1,"x"]})");
  write_file(t, "invalid-log-var", R"({"logVarMin":1})");
  write_file(t, "invalid-json", R"({"hop":)");
}

void safetensors_seeds(const std::string& micro_checkpoint) {
  const std::string t = "safetensors";
  write_file(t, "valid-checkpoint-micro.safetensors", micro_checkpoint);
  write_file(t, "valid-empty.safetensors", image("{}"));
  write_file(t, "valid-metadata-only.safetensors", image(R"({"__metadata__":{"k":"v","":""}})"));
  // One tensor of every dtype (scalar, empty, 8-d included), listed out of offset order.
  write_file(t, "valid-all-dtypes.safetensors",
             image(R"({"f64":{"dtype":"F64","shape":[1],"data_offsets":[4,12]},)"
                   R"("f32":{"dtype":"F32","shape":[],"data_offsets":[0,4]},)"
                   R"("f16":{"dtype":"F16","shape":[1,1,1,1,1,1,1,1],"data_offsets":[12,14]},)"
                   R"("bf16":{"dtype":"BF16","shape":[1],"data_offsets":[14,16]},)"
                   R"("i64":{"dtype":"I64","shape":[1],"data_offsets":[16,24]},)"
                   R"("i32":{"dtype":"I32","shape":[1],"data_offsets":[24,28]},)"
                   R"("i16":{"dtype":"I16","shape":[1],"data_offsets":[28,30]},)"
                   R"("i8":{"dtype":"I8","shape":[1],"data_offsets":[30,31]},)"
                   R"("u8":{"dtype":"U8","shape":[0,3],"data_offsets":[31,31]},)"
                   R"("bool":{"dtype":"BOOL","shape":[2],"data_offsets":[31,33]}})",
                   std::string(31, '\x11') + std::string("\x00\x01", 2)));
  write_file(t, "valid-empty-huge-shape.safetensors",
             image(R"({"e":{"dtype":"F32","shape":[0,4294967296,2147483647],"data_offsets":[0,0]}})"));
  const std::string one = R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}})";
  write_file(t, "invalid-short.safetensors", std::string("\x02\x00\x00\x00", 4));
  write_file(t, "invalid-length-too-small.safetensors", image("{}", "", 1));
  write_file(t, "invalid-length-beyond-file.safetensors", image(one, "ab", one.size() + 3));
  write_file(t, "invalid-length-over-limit.safetensors", image("{}", "", uint64_t{1} << 40));
  write_file(t, "invalid-not-object.safetensors", image("[]"));
  write_file(t, "invalid-trailing-bytes.safetensors", image(one, "abc"));
  write_file(t, "invalid-bool-byte.safetensors",
             image(R"({"b":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}})", std::string("\x01\x02", 2)));
  write_file(t, "invalid-dtype.safetensors",
             image(R"({"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}})", "ab"));
  write_file(t, "invalid-nine-dims.safetensors",
             image(R"({"a":{"dtype":"U8","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,1]}})", "a"));
  write_file(t, "invalid-shape-overflow.safetensors",
             image(R"({"a":{"dtype":"U8","shape":[0,9007199254740992,9007199254740992],"data_offsets":[0,0]}})"));
  write_file(t, "invalid-negative-shape.safetensors",
             image(R"({"a":{"dtype":"U8","shape":[-2],"data_offsets":[0,2]}})", "ab"));
  write_file(t, "invalid-overlap.safetensors",
             image(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},)"
                   R"("b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}})",
                   "abc"));
  write_file(t, "invalid-gap.safetensors", image(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})", "ab"));
  write_file(t, "invalid-offsets-reversed.safetensors",
             image(R"({"a":{"dtype":"U8","shape":[0],"data_offsets":[2,0]}})", "ab"));
  write_file(t, "invalid-size-mismatch.safetensors",
             image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,2]}})", "ab"));
  write_file(t, "invalid-unknown-field.safetensors",
             image(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2],"extra":1}})", "ab"));
  write_file(t, "invalid-metadata-value.safetensors", image(R"({"__metadata__":{"k":1}})"));
  write_file(t, "invalid-metadata-nested.safetensors", image(R"({"__metadata__":{"k":{"a":"b"}}})"));
  write_file(t, "invalid-duplicate-name.safetensors",
             image(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                   R"("a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
                   "ab"));
}

void checkpoint_seeds(const std::string& standard) {
  const std::string t = "checkpoint";
  write_file(t, "valid-micro-standard-trained.safetensors", standard);
  write_file(t, "valid-micro-learned.safetensors", checkpoint(micro(rg::PriorKind::Learned), 0));
  write_file(t, "valid-micro-priorgrad-transposed.safetensors",
             checkpoint(micro(rg::PriorKind::PriorGrad, "transposed"), 0));

  // Loading stops at the first bad tensor, before it looks at the generator state: these four
  // leave out "rng" to keep the committed corpus small.
  const auto without_rng = [&](auto edit) {
    return edited(standard, [&](Tensors& ts, Metadata&) {
      ts.erase("rng");
      edit(ts);
    });
  };
  write_file(t, "invalid-wrong-shape.safetensors", without_rng([](Tensors& ts) {
               ts["params.denoiser.input_projection.weight"] = torch::zeros({2, 1, 1});
             }));
  write_file(t, "invalid-wrong-dtype.safetensors", without_rng([](Tensors& ts) {
               ts["ema.denoiser.output.0.bias"] = ts["ema.denoiser.output.0.bias"].to(torch::kDouble);
             }));
  write_file(t, "invalid-missing-tensor.safetensors",
             without_rng([](Tensors& ts) { ts.erase("adam_v.denoiser.embed2.weight"); }));
  write_file(t, "invalid-unexpected-tensor.safetensors",
             without_rng([](Tensors& ts) { ts["params.extra"] = torch::zeros({1}); }));
  write_file(t, "invalid-missing-rng.safetensors", edited(standard, [&](Tensors& ts, Metadata&) { ts.erase("rng"); }));
  write_file(t, "invalid-rng-size.safetensors",
             edited(standard, [&](Tensors& ts, Metadata&) { ts["rng"] = ts["rng"].narrow(0, 0, 100).clone(); }));
  write_file(t, "invalid-rng-dtype.safetensors",
             edited(standard, [&](Tensors& ts, Metadata&) { ts["rng"] = ts["rng"].to(torch::kChar); }));

  // A generator state LibTorch 1.13 accepts (seeded, 0 < left <= 624, next <= 624) but cannot
  // continue from: 600 draws left at position 600, so the next draws would read past the end of
  // the 624-word Mersenne Twister state. Offsets 8 (int32 left) and 16 (uint64 next) are those of
  // at::CPUGeneratorImplState.
  write_file(t, "invalid-rng-position.safetensors", edited(standard, [&](Tensors& ts, Metadata&) {
               torch::Tensor rng = ts["rng"].clone();
               const int32_t left = 600;
               const uint64_t next = 600;
               std::memcpy(rng.data_ptr<uint8_t>() + 8, &left, sizeof left);
               std::memcpy(rng.data_ptr<uint8_t>() + 16, &next, sizeof next);
               ts["rng"] = rng;
             }));

  Metadata meta = rg::parse_safetensors(reinterpret_cast<const uint8_t*>(standard.data()), standard.size()).metadata;
  const auto variant = [&](const std::string& name, const std::string& key, const char* value) {
    Metadata m = meta;
    if (value)
      m[key] = value;
    else
      m.erase(key);
    write_file(t, name, metadata_only(m));
  };
  variant("invalid-no-tensors.safetensors", "", nullptr);
  variant("invalid-no-format.safetensors", "format", nullptr);
  variant("invalid-format.safetensors", "format", "pytorch");
  variant("invalid-format-version.safetensors", "format_version", "2");
  variant("invalid-no-config.safetensors", "config", nullptr);
  variant("invalid-config-json.safetensors", "config", "{\"prior\":");
  variant("invalid-config-field.safetensors", "config", "{\"residualLayers\":0}");
  variant("invalid-step-fraction.safetensors", "step", "1.5");
  variant("invalid-step-negative.safetensors", "step", "-1");
  variant("invalid-step-overflow.safetensors", "step", "99999999999999999999");
  // A valid config of about 2.8 billion parameters: a loader that built the model before looking
  // at the tensors would allocate four copies of it (about 45 GB) for a 1 KB file.
  const rg::ModelConfig huge = rgtest::largest();
  variant("invalid-huge-model-config.safetensors", "config", config_text(huge).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3 || (argc == 3 && std::strcmp(argv[2], "--tiny") != 0)) {
    std::fprintf(stderr, "usage: make_seeds OUT_DIR [--tiny]\n");
    return 2;
  }
  g_out = argv[1];
  ::mkdir(g_out.c_str(), 0777);
  torch::set_num_threads(1);
  if (argc == 3) {
    for (const auto prior : {rg::PriorKind::Standard, rg::PriorKind::PriorGrad, rg::PriorKind::Learned}) {
      const std::string bytes = checkpoint(rgtest::tiny(prior), 1);
      const std::string name = std::string("valid-tiny-") + rg::prior_name(prior) + ".safetensors";
      write_file("checkpoint", name, bytes);
      write_file("safetensors", name, bytes);
    }
    return 0;
  }
  const std::string standard = checkpoint(micro(rg::PriorKind::Standard), 1);
  json_seeds();
  config_seeds();
  safetensors_seeds(standard);
  checkpoint_seeds(standard);
  return 0;
}
