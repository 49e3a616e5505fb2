// libcuckoo's cuckoohash_map<int64_t, int64_t> (fine-grained bucket locks),
// with a mixing hash: std::hash<int64_t> is the identity in libstdc++, and
// libcuckoo takes bucket indexes from the hash's low bits.
#include <cstdint>
#include <libcuckoo/cuckoohash_map.hh>

extern "C" {
#include "bench.h"
}

// MurmurHash3's finalizer, the hash every contender uses here.
struct mix_hash {
	size_t operator()(int64_t k) const { return bench_hash(static_cast<uint64_t>(k)); }
};

using table = libcuckoo::cuckoohash_map<int64_t, int64_t, mix_hash>;

static void *create(uint64_t capacity) { return new table(capacity); }
static void destroy(void *t) { delete static_cast<table *>(t); }

static bool insert(void *t, int64_t k, int64_t v)
{
	return static_cast<table *>(t)->insert(k, v);
}

static bool get(void *t, int64_t k, int64_t *v)
{
	return static_cast<table *>(t)->find(k, *v);
}

static void put(void *t, int64_t k, int64_t v)
{
	static_cast<table *>(t)->insert_or_assign(k, v);
}

static bool remove_key(void *t, int64_t k)
{
	return static_cast<table *>(t)->erase(k);
}

static void add(void *t, int64_t k, int64_t d)
{
	static_cast<table *>(t)->upsert(k, [d](int64_t &v) { v += d; }, d);
}

extern "C" const struct table_impl table_cuckoo = {
	"libcuckoo", "", CAP_MULTI_WRITER | CAP_REMOVE, false,
	create, destroy, nullptr, nullptr,
	insert, get, put, remove_key, add, nullptr,
};
