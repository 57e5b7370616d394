// RAII wrappers over LMDB for upstream's datasets: a read-only environment that many loader
// threads share (MDB_RDONLY | MDB_NOTLS | MDB_NOLOCK: no lock file, so read-only media work;
// datasets are immutable while training reads them), reading values by key inside short read
// transactions, and a writer that commits in batches (a later put opens the next transaction).
// Paths may be LMDB directories (upstream's `lmdb.open(path)`) or single files.
#pragma once

#include <lmdb.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace cromss::data {

class LmdbReader {
 public:
  explicit LmdbReader(const std::string& path);
  ~LmdbReader();
  LmdbReader(const LmdbReader&) = delete;
  LmdbReader& operator=(const LmdbReader&) = delete;

  const std::string& path() const { return path_; }
  size_t entries() const { return entries_; }
  // Calls fn(data, size) with the value of `key` while its read transaction is open (the pointer
  // is only valid inside fn). Returns false when the key does not exist.
  bool with_value(const std::string& key,
                  const std::function<void(const uint8_t*, size_t)>& fn) const;
  // Every key in LMDB order (for inspection tools; training reads by key).
  std::vector<std::string> keys() const;

 private:
  std::string path_;
  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
  size_t entries_ = 0;
};

class LmdbWriter {
 public:
  // Creates the directory `path` (an upstream-style LMDB directory) if missing. A transaction is
  // committed once it holds commit_every_bytes of values (LMDB keeps them in memory until then).
  LmdbWriter(const std::string& path, size_t map_size_bytes,
             size_t commit_every_bytes = size_t{256} << 20);
  ~LmdbWriter();
  LmdbWriter(const LmdbWriter&) = delete;
  LmdbWriter& operator=(const LmdbWriter&) = delete;

  void put(const std::string& key, const std::string& value);
  void erase(const std::string& key);  // a missing key is no error
  void commit();                       // also called by the destructor
  void sync();                         // commit, then flush to disk (mdb_env_sync)

 private:
  void begin();
  std::string path_;
  MDB_env* env_ = nullptr;
  MDB_txn* txn_ = nullptr;
  MDB_dbi dbi_ = 0;
  size_t commit_every_bytes_;
  size_t pending_bytes_ = 0;
};

}  // namespace cromss::data
