// LMDB environment wrappers (see lmdb_env.h).
#include "data/lmdb_env.h"

#include <sys/stat.h>

#include <filesystem>

#include "core/error.h"

namespace cromss::data {
namespace {

void lmdb_check(int rc, const char* call, const std::string& path) {
  if (rc != MDB_SUCCESS)
    CROMSS_THROW(IoError, "LMDB {}: {} failed: {}", path, call, mdb_strerror(rc));
}

// A data.mdb shorter than its last used page (a partial copy, an interrupted rsync) would be
// mapped anyway, and the first read past the end of the file kills the process with SIGBUS.
// The meta page (at the start of the file) names the last page; compare it with the file size.
void check_not_truncated(MDB_env* env, const std::string& path, const std::string& data_file) {
  MDB_envinfo info{};
  MDB_stat st{};
  lmdb_check(mdb_env_info(env, &info), "mdb_env_info", path);
  lmdb_check(mdb_env_stat(env, &st), "mdb_env_stat", path);
  const uint64_t needed = (static_cast<uint64_t>(info.me_last_pgno) + 1) * st.ms_psize;
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(data_file, ec);
  if (ec) CROMSS_THROW(IoError, "LMDB {}: cannot stat {}: {}", path, data_file, ec.message());
  if (size < needed)
    CROMSS_THROW(IoError,
                 "LMDB {}: {} is truncated: {} bytes, but its last page ({} of {} bytes) ends "
                 "at byte {} (a partial copy or an interrupted transfer?)",
                 path, data_file, size, info.me_last_pgno, st.ms_psize, needed);
}

}  // namespace

LmdbReader::LmdbReader(const std::string& path) : path_(path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) CROMSS_THROW(IoError, "LMDB {} does not exist", path);
  unsigned flags = MDB_RDONLY | MDB_NOTLS | MDB_NOLOCK | MDB_NORDAHEAD;
  std::string data_file = path;
  if (S_ISDIR(st.st_mode)) {
    data_file = (std::filesystem::path(path) / "data.mdb").string();
    if (!std::filesystem::exists(data_file))
      CROMSS_THROW(IoError, "LMDB {}: directory has no data.mdb", path);
  } else {
    flags |= MDB_NOSUBDIR;
  }
  lmdb_check(mdb_env_create(&env_), "mdb_env_create", path);
  mdb_env_set_maxreaders(env_, 1024);
  int rc = mdb_env_open(env_, path.c_str(), flags, 0444);
  if (rc != MDB_SUCCESS) {
    mdb_env_close(env_);
    env_ = nullptr;
    lmdb_check(rc, "mdb_env_open", path);
  }
  try {
    check_not_truncated(env_, path, data_file);
  } catch (...) {
    mdb_env_close(env_);
    env_ = nullptr;
    throw;
  }
  MDB_txn* txn = nullptr;
  lmdb_check(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn), "mdb_txn_begin", path);
  rc = mdb_dbi_open(txn, nullptr, 0, &dbi_);
  MDB_stat ms{};
  if (rc == MDB_SUCCESS) rc = mdb_stat(txn, dbi_, &ms);
  mdb_txn_abort(txn);
  lmdb_check(rc, "mdb_dbi_open/mdb_stat", path);
  entries_ = ms.ms_entries;
}

LmdbReader::~LmdbReader() {
  if (env_) mdb_env_close(env_);
}

bool LmdbReader::with_value(const std::string& key,
                            const std::function<void(const uint8_t*, size_t)>& fn) const {
  MDB_txn* txn = nullptr;
  lmdb_check(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn), "mdb_txn_begin", path_);
  MDB_val k{key.size(), const_cast<char*>(key.data())};
  MDB_val v{};
  const int rc = mdb_get(txn, dbi_, &k, &v);
  if (rc == MDB_NOTFOUND) {
    mdb_txn_abort(txn);
    return false;
  }
  if (rc != MDB_SUCCESS) {
    mdb_txn_abort(txn);
    lmdb_check(rc, "mdb_get", path_);
  }
  try {
    fn(static_cast<const uint8_t*>(v.mv_data), v.mv_size);
  } catch (...) {
    mdb_txn_abort(txn);
    throw;
  }
  mdb_txn_abort(txn);
  return true;
}

std::vector<std::string> LmdbReader::keys() const {
  std::vector<std::string> out;
  MDB_txn* txn = nullptr;
  lmdb_check(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn), "mdb_txn_begin", path_);
  MDB_cursor* cur = nullptr;
  int rc = mdb_cursor_open(txn, dbi_, &cur);
  if (rc != MDB_SUCCESS) {
    mdb_txn_abort(txn);
    lmdb_check(rc, "mdb_cursor_open", path_);
  }
  MDB_val k{}, v{};
  while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == MDB_SUCCESS)
    out.emplace_back(static_cast<const char*>(k.mv_data), k.mv_size);
  mdb_cursor_close(cur);
  mdb_txn_abort(txn);
  return out;
}

LmdbWriter::LmdbWriter(const std::string& path, size_t map_size_bytes, size_t commit_every_bytes)
    : path_(path), commit_every_bytes_(commit_every_bytes) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) CROMSS_THROW(IoError, "LMDB {}: cannot create directory: {}", path, ec.message());
  lmdb_check(mdb_env_create(&env_), "mdb_env_create", path);
  lmdb_check(mdb_env_set_mapsize(env_, map_size_bytes), "mdb_env_set_mapsize", path);
  // Batched commits without fsync; the destructor syncs once at the end.
  const int rc = mdb_env_open(env_, path.c_str(), MDB_NOSYNC, 0664);
  if (rc != MDB_SUCCESS) {
    mdb_env_close(env_);
    env_ = nullptr;
    lmdb_check(rc, "mdb_env_open", path);
  }
  begin();
}

void LmdbWriter::begin() {
  lmdb_check(mdb_txn_begin(env_, nullptr, 0, &txn_), "mdb_txn_begin", path_);
  lmdb_check(mdb_dbi_open(txn_, nullptr, 0, &dbi_), "mdb_dbi_open", path_);
}

void LmdbWriter::put(const std::string& key, const std::string& value) {
  if (!txn_) begin();
  MDB_val k{key.size(), const_cast<char*>(key.data())};
  MDB_val v{value.size(), const_cast<char*>(value.data())};
  const int rc = mdb_put(txn_, dbi_, &k, &v, 0);
  if (rc != MDB_SUCCESS)
    CROMSS_THROW(IoError, "LMDB {}: put of key '{}' failed: {}", path_, key, mdb_strerror(rc));
  pending_bytes_ += value.size();
  if (pending_bytes_ > commit_every_bytes_) commit();
}

void LmdbWriter::erase(const std::string& key) {
  if (!txn_) begin();
  MDB_val k{key.size(), const_cast<char*>(key.data())};
  const int rc = mdb_del(txn_, dbi_, &k, nullptr);
  if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND)
    CROMSS_THROW(IoError, "LMDB {}: delete of key '{}' failed: {}", path_, key, mdb_strerror(rc));
}

void LmdbWriter::sync() {
  commit();
  lmdb_check(mdb_env_sync(env_, 1), "mdb_env_sync", path_);
}

void LmdbWriter::commit() {
  if (!txn_) return;
  const int rc = mdb_txn_commit(txn_);
  txn_ = nullptr;
  pending_bytes_ = 0;
  lmdb_check(rc, "mdb_txn_commit", path_);
}

LmdbWriter::~LmdbWriter() {
  try {
    commit();
  } catch (const std::exception& e) {
    log_destructor_error("LmdbWriter", e.what());
  }
  if (env_) {
    const int rc = mdb_env_sync(env_, 1);
    if (rc != MDB_SUCCESS)
      log_destructor_error("LmdbWriter",
                           fmt::format("mdb_env_sync {}: {}", path_, mdb_strerror(rc)));
    mdb_env_close(env_);
  }
}

}  // namespace cromss::data
