// oneTBB's concurrent_hash_map<int64_t, int64_t> (per-element accessor locks),
// with a mixing HashCompare: its default, tbb_hash_compare, uses
// std::hash<int64_t>, the identity in libstdc++, and buckets by low bits.
#include <cstdint>
#include <tbb/concurrent_hash_map.h>

extern "C" {
#include "bench.h"
}

// MurmurHash3's finalizer, the hash every contender uses here.
struct mix_hash_compare {
	size_t hash(int64_t k) const { return bench_hash(static_cast<uint64_t>(k)); }
	bool equal(int64_t a, int64_t b) const { return a == b; }
};

using table = tbb::concurrent_hash_map<int64_t, int64_t, mix_hash_compare>;

static void *create(uint64_t capacity) { return new table(capacity); }
static void destroy(void *t) { delete static_cast<table *>(t); }

static bool insert(void *t, int64_t k, int64_t v)
{
	table::accessor a;
	bool added = static_cast<table *>(t)->insert(a, k);

	if (added)
		a->second = v;
	return added;
}

static bool get(void *t, int64_t k, int64_t *v)
{
	table::const_accessor a;

	if (!static_cast<table *>(t)->find(a, k))
		return false;
	*v = a->second;
	return true;
}

static void put(void *t, int64_t k, int64_t v)
{
	table::accessor a;

	static_cast<table *>(t)->insert(a, k);
	a->second = v;
}

static bool remove_key(void *t, int64_t k)
{
	return static_cast<table *>(t)->erase(k);
}

static void add(void *t, int64_t k, int64_t d)
{
	table::accessor a;

	if (static_cast<table *>(t)->insert(a, k))
		a->second = 0;
	a->second += d;
}

extern "C" const struct table_impl table_tbb = {
	"tbb_chm", "", CAP_MULTI_WRITER | CAP_REMOVE, false,
	create, destroy, nullptr, nullptr,
	insert, get, put, remove_key, add, nullptr,
};
