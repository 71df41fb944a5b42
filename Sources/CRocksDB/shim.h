// RocksDB's C API, from Debian's librocksdb-dev (7.8 on Debian 12).
#include <rocksdb/c.h>
