// JSON and safetensors: round trips, and rejection of every kind of malformed input.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "json.h"
#include "safetensors.h"
#include "test.h"

namespace {

using rg::json::Value;

// A fresh empty directory, removed with its files at scope exit.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/rg_test_io_XXXXXX";
    path = ::mkdtemp(tmpl) ? tmpl : "";
  }
  ~TempDir() {
    for (const auto& name : list()) ::unlink((path + "/" + name).c_str());
    ::rmdir(path.c_str());
  }
  std::vector<std::string> list() const {
    std::vector<std::string> names;
    if (DIR* d = ::opendir(path.c_str())) {
      while (dirent* e = ::readdir(d))
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.push_back(e->d_name);
      ::closedir(d);
    }
    return names;
  }
};

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// A file image from a header and `data_size` data bytes (all 0x01), with the header length
// field optionally forced to `length`.
std::vector<uint8_t> image(const std::string& header, size_t data_size, uint64_t length = 0) {
  const uint64_t n = length ? length : header.size();
  std::vector<uint8_t> out(8);
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(n >> (8 * i));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data_size, 1);
  return out;
}

rg::SafetensorsFile parse(const std::vector<uint8_t>& bytes) {
  return rg::parse_safetensors(bytes.data(), bytes.size());
}

// Same dtype, shape and bytes.
bool bits_equal(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.scalar_type() != b.scalar_type() || a.sizes() != b.sizes()) return false;
  const torch::Tensor ca = a.cpu().contiguous(), cb = b.cpu().contiguous();
  return ca.numel() == 0 || std::memcmp(ca.data_ptr(), cb.data_ptr(), ca.numel() * ca.element_size()) == 0;
}

std::string error_message(const std::string& text) {
  try {
    rg::json::parse(text);
  } catch (const rg::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("json: values, accessors and compact output") {
  Value v = Value::object();
  v.set("name", "unet");
  v.set("layers", 4);
  v.set("rate", 0.5);
  v.set("ok", true);
  v.set("none", Value());
  Value list = Value::array();
  list.push(1);
  list.push(int64_t{-7});
  list.push("x");
  v.set("list", list);
  v.set("layers", 5);  // replaces in place
  CHECK(rg::json::dump(v) == R"({"name":"unet","layers":5,"rate":0.5,"ok":true,"none":null,"list":[1,-7,"x"]})");
  CHECK(v.find("layers") && v.find("layers")->as_number() == 5);
  CHECK(v.find("missing") == nullptr);
  CHECK(list.find("x") == nullptr);
  CHECK(v.find("none")->is_null());
  CHECK_THROWS_CODE(v.find("name")->as_number(), "E_CONFIG");
  CHECK_THROWS_CODE(v.as_array(), "E_CONFIG");
  CHECK_THROWS_CODE(list.set("k", 1), "E_CONFIG");
  CHECK_THROWS_CODE(v.push(1), "E_CONFIG");
  try {
    v.find("ok")->as_number();
  } catch (const rg::Error& e) {
    CHECK(std::string(e.what()).find("expected a number") != std::string::npos);
  }
  CHECK(rg::json::parse(rg::json::dump(v)) == v);
}

TEST_CASE("json: numbers") {
  CHECK(rg::json::dump(Value(0)) == "0");
  CHECK(rg::json::dump(Value(-0.0)) == "-0.0");
  CHECK(std::signbit(rg::json::parse("-0.0").as_number()));
  CHECK(rg::json::dump(Value(9007199254740991.0)) == "9007199254740991");
  CHECK(rg::json::dump(Value(-123456789012.0)) == "-123456789012");
  CHECK(rg::json::dump(Value(1.5)) == "1.5");
  CHECK(rg::json::dump(Value(1e300)) == "1e+300");
  CHECK_THROWS_CODE(rg::json::dump(Value(std::nan(""))), "E_CONFIG");
  CHECK_THROWS_CODE(rg::json::dump(Value(std::numeric_limits<double>::infinity())), "E_CONFIG");
  // The shortest form that reads back the same: every double round-trips exactly.
  for (double x : {0.1, 1.0 / 3.0, 2.5e-308, 4.9e-324, 1.7976931348623157e308, -6.02214076e23, 9007199254740993.0}) {
    CHECK(rg::json::parse(rg::json::dump(Value(x))).as_number() == x);
  }
  CHECK(rg::json::parse("1E2").as_number() == 100);
  CHECK(rg::json::parse("-1.25e-2").as_number() == -0.0125);
  CHECK(rg::json::parse("1e-400").as_number() == 0);  // underflow rounds to zero
  CHECK(rg::json::parse(" \t\r\n 42 \n").as_number() == 42);
}

TEST_CASE("json: string escapes") {
  const Value s = rg::json::parse(R"("a\"b\\c\/d\b\f\n\r\t\u00e9\u20AC\ud83d\ude00\u0000z")");
  CHECK(s.as_string() ==
        std::string("a\"b\\c/d\b\f\n\r\t\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80") + std::string(1, '\0') + "z");
  CHECK(rg::json::dump(Value(std::string("q\"\\\n\x01\x1f", 6))) == R"("q\"\\\n\u0001\u001f")");
  CHECK(rg::json::dump(Value("\xC3\xA9")) == "\"\xC3\xA9\"");  // non-ASCII stays raw UTF-8
  CHECK(rg::json::parse(rg::json::dump(s)) == s);
  CHECK_THROWS_CODE(rg::json::dump(Value("\xff")), "E_CONFIG");
}

TEST_CASE("json: rejects malformed input") {
  const std::vector<std::string> bad = {
      "",
      " ",
      "[1,]",
      "{\"a\":1,}",
      "01",
      "1.",
      ".5",
      "+1",
      "-",
      "1e",
      "1e+",
      "0x10",
      "[1 2]",
      "{\"a\" 1}",
      "{a:1}",
      "{\"a\":}",
      "[",
      "{",
      "\"abc",
      "tru",
      "nul",
      "True",
      "NaN",
      "Infinity",
      "1 2",
      "[] x",
      "// c\n1",
      "/* c */ 1",
      "'a'",
      "\"\\x\"",
      "\"\\u12\"",
      "\"\\u12g4\"",
      "\"\\ud800\"",
      "\"\\ud800x\"",
      "\"\\udc00\"",
      "\"\\ud800\\u0041\"",
      "\"\xff\"",
      "\"\xc0\xaf\"",
      "\"\xed\xa0\x80\"",
      "\"\xf4\x90\x80\x80\"",
      "1e999",
      "-1e999",
      "{\"a\":1,\"a\":2}",
      "[1,,2]",
      "[,]",
      "{,}",
      "\"a\x01\"",
      "\"tab\there\"",
      std::string("\"a\0b\"", 5),
      std::string("1\0", 2),
  };
  for (const std::string& text : bad) {
    bool threw = false;
    try {
      rg::json::parse(text);
    } catch (const rg::Error& e) {
      threw = e.code() == rg::kConfig && std::string(e.what()).rfind("invalid JSON", 0) == 0;
    }
    if (!threw) rgtest::fail(__FILE__, __LINE__, "accepted, or wrong error for: " + text);
  }
  CHECK(error_message("[1,]") ==
        "invalid JSON at byte 4: syntax error while parsing value - unexpected ']'; expected '[', '{', or a literal");
  CHECK(error_message("1e999") == "invalid JSON at byte 5: number overflow parsing '1e999'");
  CHECK(error_message("\"\xff\"").find("ill-formed UTF-8 byte; last read: '\"?'") != std::string::npos);
  CHECK(rg::json::parse("\xef\xbb\xbf{}").is_object());  // a byte-order mark is skipped (RFC 8259 allows it)
  CHECK(error_message("{\"a\":1,\"a\":2}").find("duplicate key") != std::string::npos);
  // Many keys use the hash set; a late duplicate is still caught.
  std::string big = "{";
  for (int i = 0; i < 100; ++i) big += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  CHECK(rg::json::parse(big + "\"z\":0}").as_object().size() == 101);
  CHECK_THROWS_CODE(rg::json::parse(big + "\"k3\":0}"), "E_CONFIG");
}

TEST_CASE("json: depth limit") {
  const auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  CHECK(rg::json::parse(nested(64)).is_array());
  CHECK_THROWS_CODE(rg::json::parse(nested(65)), "E_CONFIG");
  CHECK_THROWS_CODE(rg::json::parse(nested(100000)), "E_CONFIG");  // no stack overflow
  CHECK(rg::json::parse("{\"a\":[1]}", 2).is_object());
  CHECK_THROWS_CODE(rg::json::parse("{\"a\":[1]}", 1), "E_CONFIG");
  CHECK(rg::json::parse("7", 0).as_number() == 7);
  CHECK_THROWS_CODE(rg::json::parse("[]", 0), "E_CONFIG");
}

TEST_CASE("safetensors: write/read round trip is bit exact") {
  TempDir dir;
  torch::manual_seed(3);
  std::map<std::string, torch::Tensor> tensors = {
      {"b.f32", torch::randn({3, 4})},
      {"a.f64_scalar", torch::tensor(3.141592653589793, torch::kDouble).reshape({})},
      {"c.i64", torch::arange(-5, 6, torch::kLong).reshape({11, 1})},
      {"d.u8", torch::randint(0, 256, {2, 3, 5}, torch::kByte)},
      {"e.bf16", torch::randn({7}).to(torch::kBFloat16)},
      {"f.f16", torch::randn({2, 2}).to(torch::kHalf)},
      {"g.i32", torch::randint(-1000, 1000, {4}, torch::kInt)},
      {"h.i16", torch::randint(-1000, 1000, {4}, torch::kShort)},
      {"i.i8", torch::randint(-128, 128, {3}, torch::kChar)},
      {"j.bool", torch::rand({5}) > 0.5},
      {"k.empty", torch::empty({0, 5})},
      {"l.transposed", torch::randn({3, 2}).t()},
      {"m.special", torch::tensor({0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1e-45f})},
  };
  const std::map<std::string, std::string> metadata = {{"format", "pt"}, {"note", "é \"quoted\"\n"}};
  const std::string path = dir.path + "/model.safetensors";
  rg::write_safetensors(path, tensors, metadata);
  CHECK(dir.list() == std::vector<std::string>{"model.safetensors"});

  const rg::SafetensorsFile file = rg::read_safetensors(path);
  CHECK(file.metadata == metadata);
  CHECK(file.tensors.size() == tensors.size());
  for (const auto& [name, t] : tensors) {
    const auto it = file.tensors.find(name);
    CHECK(it != file.tensors.end());
    if (it == file.tensors.end()) continue;
    CHECK(bits_equal(it->second, t));
    CHECK(it->second.device().is_cpu() && it->second.is_contiguous());
  }
  CHECK(file.tensors.at("a.f64_scalar").dim() == 0);

  // Header padded with spaces to a multiple of 8; data in name order without gaps.
  const std::vector<uint8_t> bytes = read_bytes(path);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[i];
  CHECK(n % 8 == 0);
  CHECK(8 + n <= bytes.size());
  const Value header = rg::json::parse(std::string(bytes.begin() + 8, bytes.begin() + 8 + n));
  uint64_t offset = 0;
  for (const auto& [name, entry] : header.as_object()) {
    if (name == "__metadata__") continue;
    const auto& range = entry.find("data_offsets")->as_array();
    CHECK(range[0].as_number() == static_cast<double>(offset));
    offset = static_cast<uint64_t>(range[1].as_number());
  }
  CHECK(8 + n + offset == bytes.size());
  CHECK(bits_equal(parse(bytes).tensors.at("m.special"), tensors.at("m.special")));

  // Overwriting replaces the file atomically and leaves nothing else.
  rg::write_safetensors(path, {{"x", torch::ones({2})}}, {});
  const rg::SafetensorsFile again = rg::read_safetensors(path);
  CHECK(again.tensors.size() == 1 && again.metadata.empty());
  CHECK(dir.list() == std::vector<std::string>{"model.safetensors"});
}

TEST_CASE("safetensors: parses hand-written headers") {
  // Empty tensors may share an offset; key order and whitespace padding are free.
  const std::string header =
      R"({"z":{"data_offsets":[0,4],"dtype":"F32","shape":[]},"e1":{"dtype":"I8","shape":[0],"data_offsets":[4,4]},)"
      R"("e0":{"dtype":"F64","shape":[2,0,3],"data_offsets":[4,4]},"__metadata__":{"k":"v"}}   )";
  const rg::SafetensorsFile f = parse(image(header, 4));
  CHECK(f.tensors.size() == 3);
  CHECK(f.metadata.at("k") == "v");
  CHECK(f.tensors.at("e0").sizes() == torch::IntArrayRef({2, 0, 3}));
  float x;
  std::memcpy(&x, "\x01\x01\x01\x01", 4);
  CHECK(f.tensors.at("z").item<float>() == x);
  CHECK(parse(image("{}", 0)).tensors.empty());
}

TEST_CASE("safetensors: rejects malformed files") {
  const auto one = [](const std::string& fields) { return "{\"t\":{" + fields + "}}"; };
  const std::string ok = one(R"("dtype":"F32","shape":[2],"data_offsets":[0,8])");
  CHECK(parse(image(ok, 8)).tensors.size() == 1);

  // Truncation anywhere.
  const std::vector<uint8_t> full = image(ok, 8);
  for (size_t size = 0; size < full.size(); ++size) {
    CHECK_THROWS_CODE(rg::parse_safetensors(full.data(), size), "E_CHECKPOINT");
  }
  CHECK_THROWS_CODE(rg::parse_safetensors(nullptr, 0), "E_CHECKPOINT");
  // Header length beyond the file, beyond 100 MiB, or too small.
  CHECK_THROWS_CODE(parse(image(ok, 8, ok.size() + 9)), "E_CHECKPOINT");
  CHECK_THROWS_CODE(parse(image(ok, 8, (uint64_t{100} << 20) + 1)), "E_CHECKPOINT");
  CHECK_THROWS_CODE(parse(image(ok, 8, ~uint64_t{0})), "E_CHECKPOINT");
  CHECK_THROWS_CODE(parse(image("{}", 0, 1)), "E_CHECKPOINT");

  const std::vector<std::pair<std::string, size_t>> bad = {
      {ok, 9},                                                                             // trailing byte
      {ok, 7},                                                                             // end out of bounds
      {one(R"("dtype":"F32","shape":[2],"data_offsets":[0,12])"), 8},                      // out of bounds
      {one(R"("dtype":"F32","shape":[3],"data_offsets":[0,8])"), 8},                       // wrong byte count
      {one(R"("dtype":"F32","shape":[2],"data_offsets":[8,0])"), 8},                       // end before begin
      {one(R"("dtype":"F32","shape":[2],"data_offsets":[0])"), 8},                         // one offset
      {one(R"("dtype":"F32","shape":[2],"data_offsets":[0,8,8])"), 8},                     // three offsets
      {one(R"("dtype":"F32","shape":[2],"data_offsets":[0,8.5])"), 8},                     // fractional offset
      {one(R"("dtype":"F32","shape":[2],"data_offsets":"0,8")"), 8},                       // not an array
      {one(R"("dtype":"F8","shape":[2],"data_offsets":[0,8])"), 8},                        // unknown dtype
      {one(R"("dtype":"f32","shape":[2],"data_offsets":[0,8])"), 8},                       // dtype is case sensitive
      {one(R"("dtype":4,"shape":[2],"data_offsets":[0,8])"), 8},                           // dtype not a string
      {one(R"("dtype":"F32","shape":[-2],"data_offsets":[0,8])"), 8},                      // negative dim
      {one(R"("dtype":"F32","shape":[2.5],"data_offsets":[0,8])"), 8},                     // fractional dim
      {one(R"("dtype":"F32","shape":2,"data_offsets":[0,8])"), 8},                         // shape not an array
      {one(R"("dtype":"F32","shape":[1,1,1,1,1,1,1,1,2],"data_offsets":[0,8])"), 8},       // 9 dims
      {one(R"("dtype":"U8","shape":[0,4294967296,4294967296],"data_offsets":[0,0])"), 0},  // overflow
      {one(R"("dtype":"F32","shape":[2])"), 8},                                            // missing offsets
      {one(R"("shape":[2],"data_offsets":[0,8])"), 8},                                     // missing dtype
      {one(R"("dtype":"F32","data_offsets":[0,8])"), 8},                                   // missing shape
      {one(R"("dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1)"), 8},             // unknown field
      {R"({"t":[1]})", 0},                                                                 // entry not an object
      {R"([])", 0},                                                                        // header not an object
      {R"({"t":)", 0},                                                                     // invalid JSON
      {R"({"__metadata__":{"a":1}})", 0},                                                  // non-string metadata
      {R"({"__metadata__":{"a":{"b":"c"}}})", 0},                                          // nested metadata
      {R"({"__metadata__":"x"})", 0},                                                      // metadata not an object
      {R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}})",
       4},
      // Overlap, and a gap.
      {R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}})",
       8},
      {R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
       4},
      {R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[6,10]}})",
       10},
  };
  for (const auto& [header, data_size] : bad) {
    std::vector<uint8_t> bytes = image(header, data_size);
    CHECK_THROWS_CODE(parse(bytes), "E_CHECKPOINT");
  }
  // BOOL bytes must be 0 or 1 (image() fills with 1, so make one byte 2).
  std::vector<uint8_t> bools = image(one(R"("dtype":"BOOL","shape":[3],"data_offsets":[0,3])"), 3);
  CHECK(parse(bools).tensors.at("t").sum().item<int64_t>() == 3);
  bools.back() = 2;
  CHECK_THROWS_CODE(parse(bools), "E_CHECKPOINT");

  // Messages name the tensor and the field.
  try {
    parse(image(one(R"("dtype":"F8","shape":[2],"data_offsets":[0,8])"), 8));
  } catch (const rg::Error& e) {
    CHECK(std::string(e.what()) == "invalid safetensors: tensor 't': unsupported dtype 'F8'");
  }
  try {
    parse(image(
        R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}})",
        8));
  } catch (const rg::Error& e) {
    CHECK(std::string(e.what()) == "invalid safetensors: tensor 'b' overlaps tensor 'a'");
  }
}

TEST_CASE("safetensors: file errors") {
  TempDir dir;
  const std::string missing = dir.path + "/missing.safetensors";
  CHECK_THROWS_CODE(rg::read_safetensors(missing), "E_CHECKPOINT");
  try {
    rg::read_safetensors(missing);
  } catch (const rg::Error& e) {
    CHECK(std::string(e.what()) == "cannot open checkpoint '" + missing + "': No such file or directory");
  }
  CHECK_THROWS_CODE(rg::read_safetensors(dir.path), "E_CHECKPOINT");
  const std::string fifo = dir.path + "/fifo";
  CHECK(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_THROWS_CODE(rg::read_safetensors(fifo), "E_CHECKPOINT");  // rejected, not waited on
  ::unlink(fifo.c_str());

  const std::string path = dir.path + "/m.safetensors";
  rg::write_safetensors(path, {{"w", torch::randn({64})}}, {});
  const std::vector<uint8_t> bytes = read_bytes(path);
  CHECK(rg::read_safetensors(path, bytes.size()).tensors.at("w").numel() == 64);
  CHECK_THROWS_CODE(rg::read_safetensors(path, bytes.size() - 1), "E_CHECKPOINT");
  write_bytes(path, std::vector<uint8_t>(bytes.begin(), bytes.end() - 1));
  CHECK_THROWS_CODE(rg::read_safetensors(path), "E_CHECKPOINT");
  std::vector<uint8_t> corrupted = bytes;
  corrupted[8] = '!';  // the header's opening brace
  write_bytes(path, corrupted);
  CHECK_THROWS_CODE(rg::read_safetensors(path), "E_CHECKPOINT");
  write_bytes(path, {1, 2, 3});
  CHECK_THROWS_CODE(rg::read_safetensors(path), "E_CHECKPOINT");

  // A directory that does not exist: E_IO, nothing created anywhere.
  CHECK_THROWS_CODE(rg::write_safetensors(dir.path + "/no/such/dir/m.safetensors", {{"w", torch::ones({2})}}, {}),
                    "E_IO");
  // The target is a directory: the temporary file is written, the rename fails, and the
  // temporary file is removed.
  const std::string sub = dir.path + "/sub";
  CHECK(::mkdir(sub.c_str(), 0755) == 0);
  CHECK_THROWS_CODE(rg::write_safetensors(sub, {{"w", torch::ones({2})}}, {}), "E_IO");
  const std::vector<std::string> left = dir.list();
  CHECK(left.size() == 2);  // m.safetensors and sub
  ::rmdir(sub.c_str());

  // Tensors that cannot be stored are refused before any file is created.
  const std::string other = dir.path + "/other.safetensors";
  CHECK_THROWS_CODE(rg::write_safetensors(other, {{"c", torch::zeros({2}, torch::kComplexFloat)}}, {}), "E_INPUT");
  CHECK_THROWS_CODE(rg::write_safetensors(other, {{"__metadata__", torch::zeros({2})}}, {}), "E_INPUT");
  CHECK_THROWS_CODE(rg::write_safetensors(other, {{"u", torch::Tensor()}}, {}), "E_INPUT");
  CHECK_THROWS_CODE(rg::write_safetensors(other, {{"bad\xff", torch::zeros({2})}}, {}), "E_INPUT");
  CHECK_THROWS_CODE(rg::write_safetensors(other, {{"x", torch::zeros({2})}}, {{"k", "\xc0"}}), "E_INPUT");
  CHECK(dir.list().size() == 1);
}
