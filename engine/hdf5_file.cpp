// HDF5 tensor files (see hdf5_file.h), on the HDF5 C API.
#include "engine/hdf5_file.h"

#include <fcntl.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

namespace cromss {
namespace {

std::string hdf5_message() {
  std::string msg;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned, const H5E_error2_t* e, void* data) -> herr_t {
        auto* m = static_cast<std::string*>(data);
        if (m->empty() && e->desc) *m = e->desc;
        return 0;
      },
      &msg);
  H5Eclear2(H5E_DEFAULT);
  return msg.empty() ? "unknown HDF5 error" : msg;
}

#define H5_CHECK(expr, ...)                                                                  \
  [&] {                                                                                      \
    auto r_ = (expr);                                                                        \
    if (r_ < 0)                                                                              \
      CROMSS_THROW(IoError, "{}: {} ({})", path_, fmt::format(__VA_ARGS__), hdf5_message()); \
    return r_;                                                                               \
  }()

// Also no library teardown at exit: after a failed write (a full disk) HDF5 cannot close the
// file, and its exit handler then crashes closing it again (exit 139 after the clear IoError).
// Every file is closed by H5File's destructor, so the exit handler has nothing left to flush.
struct Silence {
  Silence() {
    H5dont_atexit();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
};
const Silence g_silence;

// RAII for an hid_t with its close function.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  operator hid_t() const { return id_; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

hid_t native_type(DType t) {
  switch (t) {
    case DType::f32:
      return H5T_NATIVE_FLOAT;
    case DType::f64:
      return H5T_NATIVE_DOUBLE;
    case DType::i32:
      return H5T_NATIVE_INT32;
    case DType::i64:
      return H5T_NATIVE_INT64;
    case DType::u8:
      return H5T_NATIVE_UINT8;
    default:
      return -1;
  }
}

DType dtype_of_h5(hid_t type, const std::string& file, const std::string& name) {
  H5T_class_t cls = H5Tget_class(type);
  size_t size = H5Tget_size(type);
  if (cls == H5T_FLOAT) {
    if (size == 4) return DType::f32;
    if (size == 8) return DType::f64;
  }
  if (cls == H5T_INTEGER) {
    bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
    if (size == 1 && !is_signed) return DType::u8;
    if (size == 4 && is_signed) return DType::i32;
    return DType::i64;  // other integer widths widen to int64
  }
  CROMSS_THROW(IoError, "{}: dataset '{}' has an unsupported element type (class {}, {} bytes)",
               file, name, static_cast<int>(cls), size);
}

}  // namespace

H5File::H5File(const std::string& path, Mode mode) : path_(path) {
  if (mode == Mode::create) {
    file_ = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file_ < 0) CROMSS_THROW(IoError, "{}: cannot create HDF5 file ({})", path, hdf5_message());
    return;
  }
  if (!std::filesystem::exists(path)) CROMSS_THROW(IoError, "{}: no such file", path);
  file_ = H5Fopen(path.c_str(), mode == Mode::read ? H5F_ACC_RDONLY : H5F_ACC_RDWR, H5P_DEFAULT);
  if (file_ < 0)
    CROMSS_THROW(IoError, "{}: not a readable HDF5 file (truncated or corrupt?) ({})", path,
                 hdf5_message());
}

H5File::~H5File() {
  if (file_ >= 0) H5Fclose(file_);
}

H5File::H5File(H5File&& o) noexcept : path_(std::move(o.path_)), file_(o.file_) {
  o.file_ = -1;
}

bool H5File::has(const std::string& name) const {
  if (name == "/" || name.empty()) return true;
  std::string partial;
  size_t start = name[0] == '/' ? 1 : 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    partial = name.substr(0, end == std::string::npos ? name.size() : end);
    if (H5Lexists(file_, partial.c_str(), H5P_DEFAULT) <= 0) return false;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return true;
}

std::vector<std::string> H5File::datasets(const std::string& group) const {
  std::vector<std::string> names;
  Handle g(H5_CHECK(H5Gopen2(file_, group.c_str(), H5P_DEFAULT), "cannot open group '{}'", group),
           H5Gclose);
  H5_CHECK(H5Ovisit(
               g, H5_INDEX_NAME, H5_ITER_INC,
               [](hid_t, const char* name, const H5O_info_t* info, void* data) -> herr_t {
                 if (info->type == H5O_TYPE_DATASET)
                   static_cast<std::vector<std::string>*>(data)->push_back(name);
                 return 0;
               },
               &names),
           "cannot list group '{}'", group);
  std::string prefix = group == "/" ? "" : (group[0] == '/' ? group.substr(1) : group) + "/";
  for (auto& n : names) n = prefix + n;
  std::sort(names.begin(), names.end());
  return names;
}

Shape H5File::shape(const std::string& name) const {
  CROMSS_CHECK(has(name), "{}: no dataset '{}'", path_, name);
  Handle ds(H5_CHECK(H5Dopen2(file_, name.c_str(), H5P_DEFAULT), "cannot open dataset '{}'", name),
            H5Dclose);
  Handle space(H5_CHECK(H5Dget_space(ds), "no dataspace for '{}'", name), H5Sclose);
  int nd = H5_CHECK(H5Sget_simple_extent_ndims(space), "bad dataspace for '{}'", name);
  std::vector<hsize_t> dims(nd);
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  return Shape(dims.begin(), dims.end());
}

Tensor H5File::read(const std::string& name) const {
  if (!has(name)) CROMSS_THROW(IoError, "{}: no dataset '{}'", path_, name);
  Handle ds(H5_CHECK(H5Dopen2(file_, name.c_str(), H5P_DEFAULT), "cannot open dataset '{}'", name),
            H5Dclose);
  Handle type(H5_CHECK(H5Dget_type(ds), "no type for '{}'", name), H5Tclose);
  DType dt = dtype_of_h5(type, path_, name);
  Tensor t = Tensor::empty(shape(name), dt);
  if (t.numel() > 0)
    H5_CHECK(H5Dread(ds, native_type(dt), H5S_ALL, H5S_ALL, H5P_DEFAULT, t.raw_data()),
             "cannot read dataset '{}' (truncated file?)", name);
  return t;
}

double H5File::read_scalar(const std::string& name) const {
  Tensor t = read(name);
  CROMSS_CHECK(t.numel() == 1, "{}: dataset '{}' is {} but a scalar was expected", path_, name,
               t.str());
  return t.item();
}

void H5File::write(const std::string& name, const Tensor& tensor) {
  Tensor t = tensor.to(Device::cpu()).contiguous();
  if (t.dtype() == DType::bf16 || t.dtype() == DType::f16) t = t.to(DType::f32);
  if (has(name)) H5_CHECK(H5Ldelete(file_, name.c_str(), H5P_DEFAULT), "cannot replace '{}'", name);
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl, 1);
  std::vector<hsize_t> dims(t.shape().begin(), t.shape().end());
  Handle space(t.dim() == 0 ? H5Screate(H5S_SCALAR)
                            : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
               H5Sclose);
  Handle ds(H5_CHECK(H5Dcreate2(file_, name.c_str(), native_type(t.dtype()), space, lcpl,
                                H5P_DEFAULT, H5P_DEFAULT),
                     "cannot create dataset '{}'", name),
            H5Dclose);
  if (t.numel() > 0)
    H5_CHECK(H5Dwrite(ds, native_type(t.dtype()), H5S_ALL, H5S_ALL, H5P_DEFAULT, t.raw_data()),
             "cannot write dataset '{}'", name);
}

void H5File::write_scalar(const std::string& name, double value) {
  write(name, Tensor::full({}, value, DType::f64));
}

void H5File::write_scalar_i64(const std::string& name, int64_t value) {
  Tensor t = Tensor::empty({}, DType::i64);
  *t.data<int64_t>() = value;
  write(name, t);
}

bool H5File::has_attr(const std::string& object, const std::string& attr) const {
  return has(object) && H5Aexists_by_name(file_, object.c_str(), attr.c_str(), H5P_DEFAULT) > 0;
}

std::string H5File::read_attr(const std::string& object, const std::string& attr) const {
  if (!has_attr(object, attr))
    CROMSS_THROW(IoError, "{}: no attribute '{}' on '{}'", path_, attr, object);
  Handle a(H5_CHECK(H5Aopen_by_name(file_, object.c_str(), attr.c_str(), H5P_DEFAULT, H5P_DEFAULT),
                    "cannot open attribute '{}'", attr),
           H5Aclose);
  Handle type(H5Aget_type(a), H5Tclose);
  CROMSS_CHECK(H5Tget_class(type) == H5T_STRING, "{}: attribute '{}' is not a string", path_, attr);
  if (H5Tis_variable_str(type) > 0) {
    Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem, H5T_VARIABLE);
    H5Tset_cset(mem, H5T_CSET_UTF8);
    char* value = nullptr;
    H5_CHECK(H5Aread(a, mem, &value), "cannot read attribute '{}'", attr);
    std::string out = value ? value : "";
    H5free_memory(value);
    return out;
  }
  size_t size = H5Tget_size(type);
  std::string out(size, '\0');
  H5_CHECK(H5Aread(a, type, out.data()), "cannot read attribute '{}'", attr);
  out.erase(std::find(out.begin(), out.end(), '\0'), out.end());
  return out;
}

void H5File::write_attr(const std::string& object, const std::string& attr,
                        const std::string& value) {
  if (has_attr(object, attr)) H5Adelete_by_name(file_, object.c_str(), attr.c_str(), H5P_DEFAULT);
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle a(H5_CHECK(H5Acreate_by_name(file_, object.c_str(), attr.c_str(), type, space, H5P_DEFAULT,
                                      H5P_DEFAULT, H5P_DEFAULT),
                    "cannot create attribute '{}' on '{}'", attr, object),
           H5Aclose);
  const char* p = value.c_str();
  H5_CHECK(H5Awrite(a, type, &p), "cannot write attribute '{}'", attr);
}

void H5File::flush() {
  H5_CHECK(H5Fflush(file_, H5F_SCOPE_GLOBAL), "cannot flush");
}

void write_atomically(const std::string& path, const std::function<void(H5File&)>& fill) {
  namespace fs = std::filesystem;
  const std::string tmp = path + ".tmp";
  try {
    H5File f(tmp, H5File::Mode::create);
    fill(f);
    f.flush();
  } catch (...) {
    std::remove(tmp.c_str());  // the previous file at `path` is untouched
    throw;
  }
  int fd = ::open(tmp.c_str(), O_RDONLY);
  if (fd < 0 || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    std::remove(tmp.c_str());
    CROMSS_THROW(IoError, "{}: cannot fsync the temporary file {}", path, tmp);
  }
  ::close(fd);
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    CROMSS_THROW(IoError, "{}: cannot rename {} into place: {}", path, tmp, ec.message());
  }
  std::string dir = fs::path(path).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace cromss
