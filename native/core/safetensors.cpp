#include "safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <system_error>
#include <vector>

#include "json.h"

// Tensor bytes are copied as they are; the format stores them little-endian.
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors I/O assumes a little-endian host"
#endif

namespace rg {

namespace {

constexpr uint64_t kMaxHeaderBytes = uint64_t{100} << 20;  // the reference implementation's limit
constexpr size_t kMaxDims = 8;
constexpr const char* kMetadataKey = "__metadata__";

struct DType {
  const char* name;
  torch::ScalarType type;
  uint64_t size;
};

constexpr DType kDTypes[] = {
    {"F32", torch::kFloat, 4}, {"F64", torch::kDouble, 8}, {"F16", torch::kHalf, 2},  {"BF16", torch::kBFloat16, 2},
    {"I64", torch::kLong, 8},  {"I32", torch::kInt, 4},    {"I16", torch::kShort, 2}, {"I8", torch::kChar, 1},
    {"U8", torch::kByte, 1},   {"BOOL", torch::kBool, 1},
};

const DType* dtype_by_name(const std::string& name) {
  for (const DType& d : kDTypes)
    if (name == d.name) return &d;
  return nullptr;
}

const DType* dtype_by_type(torch::ScalarType type) {
  for (const DType& d : kDTypes)
    if (type == d.type) return &d;
  return nullptr;
}

// One tensor of a validated header.
struct Entry {
  std::string name;
  const DType* dtype;
  std::vector<int64_t> shape;
  uint64_t begin, end;  // relative to the data buffer
};

struct Header {
  std::map<std::string, std::string> metadata;
  std::vector<Entry> entries;
};

std::string errno_text(int err) {
  return std::generic_category().message(err);
}

[[noreturn]] void corrupt(const std::string& context, const std::string& what) {
  throw Error(kCheckpoint, context + ": " + what);
}

std::string quoted(const std::string& name) {
  return "'" + name + "'";
}

// Validates the 8-byte length prefix of a `file_size`-byte file; `prefix` holds its first bytes.
uint64_t header_length(const uint8_t* prefix, uint64_t file_size, const std::string& context) {
  if (file_size < 8) corrupt(context, "file is " + std::to_string(file_size) + " bytes, too short for a header length");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | prefix[i];
  if (n < 2) corrupt(context, "header length " + std::to_string(n) + " is too small");
  if (n > kMaxHeaderBytes) corrupt(context, "header length " + std::to_string(n) + " exceeds the 100 MiB limit");
  if (n > file_size - 8)
    corrupt(context,
            "header length " + std::to_string(n) + " exceeds the " + std::to_string(file_size - 8) + " bytes after it");
  return n;
}

// JSON integers as exact uint64: doubles represent every integer up to 2^53, and no real
// file is larger.
bool to_index(const json::Value& v, uint64_t* out) {
  if (!v.is_number()) return false;
  const double x = v.as_number();
  if (!(x >= 0 && x <= 9007199254740992.0 && x == std::floor(x))) return false;
  *out = static_cast<uint64_t>(x);
  return true;
}

Entry parse_entry(const std::string& name, const json::Value& v, uint64_t data_size, const std::string& context) {
  const std::string where = "tensor " + quoted(name);
  if (!v.is_object()) corrupt(context, where + " is not an object");
  for (const auto& member : v.as_object()) {
    const std::string& key = member.first;
    if (key != "dtype" && key != "shape" && key != "data_offsets")
      corrupt(context, where + " has unknown field " + quoted(key));
  }
  const json::Value* dtype = v.find("dtype");
  const json::Value* shape = v.find("shape");
  const json::Value* offsets = v.find("data_offsets");
  if (!dtype) corrupt(context, where + " is missing 'dtype'");
  if (!shape) corrupt(context, where + " is missing 'shape'");
  if (!offsets) corrupt(context, where + " is missing 'data_offsets'");

  Entry e;
  e.name = name;
  if (!dtype->is_string()) corrupt(context, where + ": 'dtype' is not a string");
  e.dtype = dtype_by_name(dtype->as_string());
  if (!e.dtype) corrupt(context, where + ": unsupported dtype " + quoted(dtype->as_string()));

  if (!shape->is_array()) corrupt(context, where + ": 'shape' is not an array");
  const auto& dims = shape->as_array();
  if (dims.size() > kMaxDims)
    corrupt(context, where + ": 'shape' has " + std::to_string(dims.size()) + " dimensions, more than " +
                         std::to_string(kMaxDims));
  // Bounding the product of all non-zero sizes keeps numel and every stride within int64,
  // even for empty tensors, which LibTorch computes strides for too.
  uint64_t span = 1, numel = 1;
  for (const json::Value& d : dims) {
    uint64_t size;
    if (!to_index(d, &size)) corrupt(context, where + ": 'shape' holds a value that is not a non-negative integer");
    const uint64_t factor = std::max<uint64_t>(size, 1);
    if (span > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / factor)
      corrupt(context, where + ": 'shape' element count overflows");
    span *= factor;
    numel *= size;
    e.shape.push_back(static_cast<int64_t>(size));
  }
  if (numel > std::numeric_limits<uint64_t>::max() / e.dtype->size) corrupt(context, where + ": byte size overflows");
  const uint64_t nbytes = numel * e.dtype->size;

  if (!offsets->is_array() || offsets->as_array().size() != 2 || !to_index(offsets->as_array()[0], &e.begin) ||
      !to_index(offsets->as_array()[1], &e.end))
    corrupt(context, where + ": 'data_offsets' is not a pair of non-negative integers");
  const std::string range = "[" + std::to_string(e.begin) + ", " + std::to_string(e.end) + "]";
  if (e.begin > e.end) corrupt(context, where + ": data_offsets " + range + " end before they begin");
  if (e.end > data_size)
    corrupt(context,
            where + ": data_offsets " + range + " exceed the data buffer of " + std::to_string(data_size) + " bytes");
  if (e.end - e.begin != nbytes)
    corrupt(context, where + ": data_offsets " + range + " span " + std::to_string(e.end - e.begin) +
                         " bytes but dtype and shape need " + std::to_string(nbytes));
  return e;
}

Header parse_header(const uint8_t* bytes, uint64_t n, uint64_t data_size, const std::string& context) {
  json::Value root;
  try {
    // Depth 3 is all a valid header needs (root, entry, shape); 4 lets a nested metadata
    // value fail with a clearer message below.
    root = json::parse(std::string_view(reinterpret_cast<const char*>(bytes), n), 4);
  } catch (const Error& e) {
    corrupt(context, std::string("header is not valid JSON: ") + e.what());
  }
  if (!root.is_object()) corrupt(context, "header is not a JSON object");

  Header h;
  for (const auto& [name, value] : root.as_object()) {
    if (name == kMetadataKey) {
      if (!value.is_object()) corrupt(context, "'__metadata__' is not an object");
      for (const auto& [key, text] : value.as_object()) {
        if (!text.is_string()) corrupt(context, "metadata " + quoted(key) + " is not a string");
        h.metadata.emplace(key, text.as_string());
      }
      continue;
    }
    h.entries.push_back(parse_entry(name, value, data_size, context));
  }

  // Sorted by offset, each range must start exactly where the previous one ended: this rules
  // out overlaps, gaps and trailing bytes in one pass. Empty ranges may share an offset.
  std::vector<const Entry*> order;
  for (const Entry& e : h.entries) order.push_back(&e);
  std::sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) {
    if (a->begin != b->begin) return a->begin < b->begin;
    if (a->end != b->end) return a->end < b->end;
    return a->name < b->name;
  });
  uint64_t cursor = 0;
  const Entry* previous = nullptr;
  for (const Entry* e : order) {
    if (e->begin < cursor) corrupt(context, "tensor " + quoted(e->name) + " overlaps tensor " + quoted(previous->name));
    if (e->begin > cursor)
      corrupt(context, "bytes " + std::to_string(cursor) + " to " + std::to_string(e->begin) +
                           " of the data buffer belong to no tensor");
    cursor = e->end;
    previous = e;
  }
  if (cursor != data_size)
    corrupt(context,
            "the last " + std::to_string(data_size - cursor) + " bytes of the data buffer belong to no tensor");
  return h;
}

// A BOOL byte other than 0 or 1 is not a valid bool for LibTorch.
void check_bools(const Entry& e, const uint8_t* bytes, const std::string& context) {
  if (e.dtype->type != torch::kBool) return;
  for (uint64_t i = 0; i < e.end - e.begin; ++i)
    if (bytes[i] > 1) corrupt(context, "tensor " + quoted(e.name) + " holds a BOOL byte other than 0 or 1");
}

torch::Tensor empty_for(const Entry& e) {
  return torch::empty(e.shape, torch::TensorOptions().dtype(e.dtype->type).device(torch::kCPU));
}

// Owns a file descriptor.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Reads exactly `n` bytes at `offset`. Returns false at end of file; throws on errors.
bool pread_full(int fd, void* buf, uint64_t n, uint64_t offset, const std::string& path) {
  auto* p = static_cast<uint8_t*>(buf);
  while (n > 0) {
    const size_t chunk = static_cast<size_t>(std::min<uint64_t>(n, uint64_t{1} << 30));
    const ssize_t got = ::pread(fd, p, chunk, static_cast<off_t>(offset));
    if (got < 0) {
      if (errno == EINTR) continue;
      throw Error(kCheckpoint, "cannot read checkpoint '" + path + "': " + errno_text(errno));
    }
    if (got == 0) return false;
    p += got;
    n -= static_cast<uint64_t>(got);
    offset += static_cast<uint64_t>(got);
  }
  return true;
}

void write_full(int fd, const void* buf, uint64_t n) {
  const auto* p = static_cast<const uint8_t*>(buf);
  while (n > 0) {
    const size_t chunk = static_cast<size_t>(std::min<uint64_t>(n, uint64_t{1} << 30));
    const ssize_t put = ::write(fd, p, chunk);
    if (put < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "write");
    }
    p += put;
    n -= static_cast<uint64_t>(put);
  }
}

// A temporary file that is removed unless committed.
struct TempFile {
  std::string path;
  int fd = -1;
  bool committed = false;
  ~TempFile() {
    if (fd >= 0) ::close(fd);
    if (!committed && !path.empty()) ::unlink(path.c_str());
  }
};

}  // namespace

SafetensorsFile parse_safetensors(const uint8_t* data, size_t size) {
  const std::string context = "invalid safetensors";
  if (!data && size > 0) corrupt(context, "no data");
  const uint64_t n = header_length(data, size, context);
  const uint8_t* buffer = data + 8 + n;
  const uint64_t data_size = size - 8 - n;
  Header h = parse_header(data + 8, n, data_size, context);
  for (const Entry& e : h.entries) check_bools(e, buffer + e.begin, context);

  SafetensorsFile out;
  out.metadata = std::move(h.metadata);
  for (const Entry& e : h.entries) {
    torch::Tensor t = empty_for(e);
    if (e.end > e.begin) std::memcpy(t.data_ptr(), buffer + e.begin, e.end - e.begin);
    out.tensors.emplace(e.name, std::move(t));
  }
  return out;
}

SafetensorsFile read_safetensors(const std::string& path, uint64_t max_bytes) {
  const std::string cannot_open = "cannot open checkpoint '" + path + "': ";
  Fd f;
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is rejected below as not a file.
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (f.fd < 0) throw Error(kCheckpoint, cannot_open + errno_text(errno));
  struct stat st;
  if (::fstat(f.fd, &st) != 0) throw Error(kCheckpoint, cannot_open + errno_text(errno));
  if (S_ISDIR(st.st_mode)) throw Error(kCheckpoint, cannot_open + errno_text(EISDIR));
  if (!S_ISREG(st.st_mode)) throw Error(kCheckpoint, cannot_open + "not a regular file");
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  if (file_size > max_bytes)
    throw Error(kCheckpoint, "checkpoint '" + path + "' is " + std::to_string(file_size) +
                                 " bytes, over the limit of " + std::to_string(max_bytes));

  const std::string context = "invalid checkpoint '" + path + "'";
  const std::string truncated = "file shrank while it was read";
  uint8_t prefix[8] = {};
  if (file_size >= 8 && !pread_full(f.fd, prefix, 8, 0, path)) corrupt(context, truncated);
  const uint64_t n = header_length(prefix, file_size, context);
  std::vector<uint8_t> header(static_cast<size_t>(n));
  if (!pread_full(f.fd, header.data(), n, 8, path)) corrupt(context, truncated);
  Header h = parse_header(header.data(), n, file_size - 8 - n, context);

  // Tensor bytes go straight into their tensors, so peak memory is the model, not twice it.
  SafetensorsFile out;
  out.metadata = std::move(h.metadata);
  for (const Entry& e : h.entries) {
    torch::Tensor t = empty_for(e);
    if (e.end > e.begin) {
      if (!pread_full(f.fd, t.data_ptr(), e.end - e.begin, 8 + n + e.begin, path)) corrupt(context, truncated);
      check_bools(e, static_cast<const uint8_t*>(t.data_ptr()), context);
    }
    out.tensors.emplace(e.name, std::move(t));
  }
  return out;
}

void write_safetensors(const std::string& path, const std::map<std::string, torch::Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  // Validate and lay out everything before creating any file.
  json::Value header = json::Value::object();
  if (!metadata.empty()) {
    json::Value meta = json::Value::object();
    for (const auto& [key, text] : metadata) meta.set(key, json::Value(text));
    header.set(kMetadataKey, std::move(meta));
  }
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    const std::string where = "cannot save tensor " + quoted(name) + ": ";
    if (name == kMetadataKey) throw Error(kInput, where + "the name is reserved");
    if (!t.defined()) throw Error(kInput, where + "it is undefined");
    if (t.layout() != torch::kStrided) throw Error(kInput, where + "only dense tensors can be saved");
    const DType* d = dtype_by_type(t.scalar_type());
    if (!d) throw Error(kInput, where + "unsupported dtype " + c10::toString(t.scalar_type()));
    if (static_cast<size_t>(t.dim()) > kMaxDims)
      throw Error(kInput, where + "more than " + std::to_string(kMaxDims) + " dimensions");
    json::Value shape = json::Value::array();
    for (const int64_t s : t.sizes()) shape.push(json::Value(s));
    const uint64_t nbytes = static_cast<uint64_t>(t.numel()) * d->size;
    json::Value offsets = json::Value::array();
    offsets.push(json::Value(offset));
    offsets.push(json::Value(offset + nbytes));
    offset += nbytes;
    json::Value entry = json::Value::object();
    entry.set("dtype", json::Value(d->name));
    entry.set("shape", std::move(shape));
    entry.set("data_offsets", std::move(offsets));
    // Names are unique map keys already, so append rather than search.
    header.as_object().emplace_back(name, std::move(entry));
  }
  std::string text;
  try {
    text = json::dump(header);
  } catch (const Error& e) {
    throw Error(kInput, std::string("cannot save checkpoint '") + path + "': " + e.what());
  }
  // Readers may map the data buffer; 8-byte alignment keeps every tensor aligned to its dtype.
  text.append((8 - text.size() % 8) % 8, ' ');
  uint8_t prefix[8];
  for (int i = 0; i < 8; ++i) prefix[i] = static_cast<uint8_t>(static_cast<uint64_t>(text.size()) >> (8 * i));

  const std::string failed = "cannot write checkpoint '" + path + "': ";
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);

  TempFile tmp;
  static std::atomic<unsigned> counter{0};
  for (int attempt = 0; tmp.fd < 0; ++attempt) {
    const std::string candidate =
        path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter.fetch_add(1));
    const int fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      tmp.fd = fd;
      tmp.path = candidate;
    } else if (errno != EEXIST || attempt >= 100) {
      throw Error(kIo, failed + errno_text(errno));
    }
  }

  try {
    write_full(tmp.fd, prefix, 8);
    write_full(tmp.fd, text.data(), text.size());
    for (const auto& [name, t] : tensors) {
      // One tensor at a time, so device tensors never all sit on the host at once.
      // Lazy negation/conjugation views must be materialised: their memory holds other values.
      const torch::Tensor host = t.detach().to(torch::kCPU).resolve_conj().resolve_neg().contiguous();
      write_full(tmp.fd, host.data_ptr(), static_cast<uint64_t>(host.numel()) * host.element_size());
    }
    if (::fsync(tmp.fd) != 0) throw std::system_error(errno, std::generic_category(), "fsync");
    const int fd = tmp.fd;
    tmp.fd = -1;
    if (::close(fd) != 0) throw std::system_error(errno, std::generic_category(), "close");
    if (::rename(tmp.path.c_str(), path.c_str()) != 0)
      throw std::system_error(errno, std::generic_category(), "rename");
    tmp.committed = true;
  } catch (const std::system_error& e) {
    throw Error(kIo, failed + e.code().message());
  }

  // Persist the rename itself. Some file systems cannot fsync a directory (EINVAL); the data
  // is already durable there.
  Fd d;
  d.fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d.fd < 0) throw Error(kIo, failed + "cannot open directory: " + errno_text(errno));
  if (::fsync(d.fd) != 0 && errno != EINVAL) throw Error(kIo, failed + "cannot sync directory: " + errno_text(errno));
}

}  // namespace rg
