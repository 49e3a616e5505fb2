/*
 * Unit tests of the integer and floating-point primitives.
 *
 * Semantics: every width x operation x sample pair (the samples include
 * each width's minimum, maximum and -1, so wraparound is covered), through
 * the inline bodies and again through each exported symbol looked up by name
 * (never the inline copy), and every `_explicit` variant with each memory
 * order (constant, so the inlined builtin sees it) plus invalid ones.
 * Contention: threads and forked processes on MAP_SHARED memory, with exact
 * final totals.  Interrupted: one thread whose operations a signal handler
 * interrupts thousands of times, with exact totals: the deterministic check
 * that a read-modify-write is one atomic step (a race between threads shows
 * only when the scheduler lets it, which on one busy CPU it may never do).
 */
#include "sharedatomic.h"
#include "testutil.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <time.h>

static const uint64_t samples[] = {
	0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
	0x7fffffff, 0x80000000, 0xffffffff, 0x5555555555555555ull,
	0xaaaaaaaaaaaaaaaaull, 0x7fffffffffffffffull, 0x8000000000000000ull,
	0xfffffffffffffffeull, 0xffffffffffffffffull,
};
#define NSAMPLES (sizeof(samples) / sizeof(samples[0]))

/* Run STMT with `o` bound to each order as a constant, then to invalid ones. */
#define EACH_ORDER(...) do { \
	{ const int o = SATOMIC_RELAXED; __VA_ARGS__; } \
	{ const int o = SATOMIC_CONSUME; __VA_ARGS__; } \
	{ const int o = SATOMIC_ACQUIRE; __VA_ARGS__; } \
	{ const int o = SATOMIC_RELEASE; __VA_ARGS__; } \
	{ const int o = SATOMIC_ACQ_REL; __VA_ARGS__; } \
	{ const int o = SATOMIC_SEQ_CST; __VA_ARGS__; } \
	{ const int o = 42; __VA_ARGS__; } \
	{ const int o = -1; __VA_ARGS__; } \
} while (0)

#define DIRECT(f) f

#define U(x) ((uint64_t)(x))

/* One read-modify-write op: fetch_OP, OP_fetch and both _explicit forms. */
#define CHECK_RMW(F, W, T, OP, EXPR) do { \
	const uint64_t A = U(a), B = U(b); \
	const T want = (T)(EXPR); \
	T obj = a; \
	ck_assert_uint_eq(U(F(satomic_fetch_##OP##_##W)(&obj, b)), U(a)); \
	ck_assert_uint_eq(U(obj), U(want)); \
	obj = a; \
	ck_assert_uint_eq(U(F(satomic_##OP##_fetch_##W)(&obj, b)), U(want)); \
	ck_assert_uint_eq(U(obj), U(want)); \
	EACH_ORDER( \
		obj = a; \
		ck_assert_uint_eq(U(F(satomic_fetch_##OP##_##W##_explicit)(&obj, b, o)), U(a)); \
		ck_assert_uint_eq(U(obj), U(want)); \
		obj = a; \
		ck_assert_uint_eq(U(F(satomic_##OP##_fetch_##W##_explicit)(&obj, b, o)), U(want)); \
		ck_assert_uint_eq(U(obj), U(want))); \
} while (0)

/* load, store, exchange, cas and cas_val, plain and _explicit. */
#define CHECK_BASIC(F, W, T) do { \
	T obj = 0, e; \
	F(satomic_store_##W)(&obj, a); \
	ck_assert_uint_eq(U(obj), U(a)); \
	ck_assert_uint_eq(U(F(satomic_load_##W)(&obj)), U(a)); \
	ck_assert_uint_eq(U(F(satomic_exchange_##W)(&obj, b)), U(a)); \
	ck_assert_uint_eq(U(obj), U(b)); \
	obj = a; e = a; \
	ck_assert(F(satomic_cas_##W)(&obj, &e, b)); \
	ck_assert_uint_eq(U(obj), U(b)); \
	ck_assert_uint_eq(U(e), U(a)); \
	obj = a; \
	ck_assert_uint_eq(U(F(satomic_cas_val_##W)(&obj, a, b)), U(a)); \
	ck_assert_uint_eq(U(obj), U(b)); \
	if (a != b) { \
		obj = a; e = b; \
		ck_assert(!F(satomic_cas_##W)(&obj, &e, b)); \
		ck_assert_uint_eq(U(obj), U(a)); \
		ck_assert_uint_eq(U(e), U(a));	/* the value seen */ \
		ck_assert_uint_eq(U(F(satomic_cas_val_##W)(&obj, b, b)), U(a)); \
		ck_assert_uint_eq(U(obj), U(a)); \
	} \
	EACH_ORDER( \
		obj = 0; \
		F(satomic_store_##W##_explicit)(&obj, a, o); \
		ck_assert_uint_eq(U(F(satomic_load_##W##_explicit)(&obj, o)), U(a)); \
		ck_assert_uint_eq(U(F(satomic_exchange_##W##_explicit)(&obj, b, o)), U(a)); \
		ck_assert_uint_eq(U(obj), U(b)); \
		obj = a; e = a; \
		ck_assert(F(satomic_cas_##W##_explicit)(&obj, &e, b, o, o)); \
		ck_assert_uint_eq(U(obj), U(b)); \
		obj = a; \
		ck_assert_uint_eq(U(F(satomic_cas_val_##W##_explicit)(&obj, a, b, o, SATOMIC_RELAXED)), U(a)); \
		ck_assert_uint_eq(U(obj), U(b)); \
		if (a != b) { \
			obj = a; e = b; \
			ck_assert(!F(satomic_cas_##W##_explicit)(&obj, &e, a, SATOMIC_SEQ_CST, o)); \
			ck_assert_uint_eq(U(e), U(a)); \
			ck_assert_uint_eq(U(obj), U(a)); \
		}); \
} while (0)

#define CHECK_WIDTH(F, W, T) do { \
	size_t i, j; \
	for (i = 0; i < NSAMPLES; i++) { \
		for (j = 0; j < NSAMPLES; j++) { \
			const T a = (T)samples[i], b = (T)samples[j]; \
			CHECK_BASIC(F, W, T); \
			CHECK_RMW(F, W, T, add, A + B); \
			CHECK_RMW(F, W, T, sub, A - B); \
			CHECK_RMW(F, W, T, and, A & B); \
			CHECK_RMW(F, W, T, or, A | B); \
			CHECK_RMW(F, W, T, xor, A ^ B); \
			CHECK_RMW(F, W, T, nand, ~(A & B)); \
		} \
	} \
} while (0)

#define DEFINE_WIDTH_TESTS(W, T) \
	START_TEST(test_inline_##W) { CHECK_WIDTH(DIRECT, W, T); } END_TEST \
	START_TEST(test_exported_##W) { CHECK_WIDTH(EXPORTED, W, T); } END_TEST

SATOMIC_INTEGER_WIDTHS(DEFINE_WIDTH_TESTS)

/* Wraparound at the extremes, spelled out once per signedness. */
START_TEST(test_wraparound)
{
	uint8_t u8 = UINT8_MAX;
	int8_t i8 = INT8_MAX;
	int64_t i64 = INT64_MIN;
	uint64_t u64 = 0;

	ck_assert_uint_eq(satomic_fetch_add_u8(&u8, 1), UINT8_MAX);
	ck_assert_uint_eq(u8, 0);
	ck_assert_int_eq(satomic_add_fetch_i8(&i8, 1), INT8_MIN);
	ck_assert_int_eq(satomic_sub_fetch_i64(&i64, 1), INT64_MAX);
	ck_assert_uint_eq(satomic_fetch_sub_u64(&u64, 1), 0);
	ck_assert_uint_eq(u64, UINT64_MAX);
}
END_TEST

/* Floats: bit-pattern semantics, both through the inline and exported. */
#define CHECK_FLOAT(F, W, T) do { \
	T obj = 0, e; \
	F(satomic_store_##W)(&obj, (T)1.5); \
	ck_assert(F(satomic_load_##W)(&obj) == (T)1.5); \
	ck_assert(F(satomic_exchange_##W)(&obj, (T)-2.25) == (T)1.5); \
	ck_assert(F(satomic_fetch_add_##W)(&obj, (T)0.25) == (T)-2.25); \
	ck_assert(obj == (T)-2.0); \
	e = (T)-2.0; \
	ck_assert(F(satomic_cas_##W)(&obj, &e, (T)0.0)); \
	ck_assert(obj == (T)0.0); \
	e = (T)-0.0;	/* equal as numbers, not as bits */ \
	ck_assert(!F(satomic_cas_##W)(&obj, &e, (T)7.0)); \
	ck_assert(!signbit(e) && e == (T)0.0); \
	obj = (T)NAN; e = obj; \
	ck_assert(F(satomic_cas_##W)(&obj, &e, (T)3.0));	/* same NaN bits */ \
	ck_assert(obj == (T)3.0); \
	EACH_ORDER( \
		obj = 0; \
		F(satomic_store_##W##_explicit)(&obj, (T)4.0, o); \
		ck_assert(F(satomic_load_##W##_explicit)(&obj, o) == (T)4.0); \
		ck_assert(F(satomic_exchange_##W##_explicit)(&obj, (T)5.0, o) == (T)4.0); \
		ck_assert(F(satomic_fetch_add_##W##_explicit)(&obj, (T)1.0, o) == (T)5.0); \
		e = (T)6.0; \
		ck_assert(F(satomic_cas_##W##_explicit)(&obj, &e, (T)8.0, o, o)); \
		ck_assert(obj == (T)8.0)); \
} while (0)

START_TEST(test_float)
{
	CHECK_FLOAT(DIRECT, f32, float);
	CHECK_FLOAT(DIRECT, f64, double);
	CHECK_FLOAT(EXPORTED, f32, float);
	CHECK_FLOAT(EXPORTED, f64, double);
}
END_TEST

START_TEST(test_fence_and_queries)
{
	EACH_ORDER(satomic_fence(o); EXPORTED(satomic_fence)(o));
	ck_assert_int_eq(satomic_is_lock_free(1), 1);
	ck_assert_int_eq(satomic_is_lock_free(2), 1);
	ck_assert_int_eq(satomic_is_lock_free(4), 1);
	ck_assert_int_eq(satomic_is_lock_free(8), 1);
	ck_assert_int_eq(satomic_is_lock_free(16), satomic_cas128_supported());
	ck_assert_int_eq(satomic_is_lock_free(3), 0);
	ck_assert_int_eq(satomic_is_lock_free(32), 0);
}
END_TEST

/*
 * The orders an inline compare-and-swap hands the compiler (the header's
 * private macros), for every pair asked: never weaker than asked, and a pair
 * the builtin accepts (failure a load order, no stronger than success).
 * Ordering is only visible on weak hardware, so the mapping is checked
 * itself: it used to lower (RELAXED, SEQ_CST) to (RELAXED, RELAXED).
 */
static bool valid_order(int o)
{
	return o >= SATOMIC_RELAXED && o <= SATOMIC_SEQ_CST;
}

/* Whether order `have` gives every guarantee of order `want`. */
static bool at_least(int have, int want)
{
	static const char *const covers[] = {	/* by have: the wants it covers */
		[SATOMIC_RELAXED] = "0", [SATOMIC_CONSUME] = "01",
		[SATOMIC_ACQUIRE] = "012", [SATOMIC_RELEASE] = "03",
		[SATOMIC_ACQ_REL] = "01234", [SATOMIC_SEQ_CST] = "012345",
	};

	if (!valid_order(want))	/* an invalid order is run as SEQ_CST */
		return have == SATOMIC_SEQ_CST;
	return valid_order(have) && strchr(covers[have], '0' + want) != NULL;
}

START_TEST(test_cas_orders)
{
	static const int asked[] = {
		SATOMIC_RELAXED, SATOMIC_CONSUME, SATOMIC_ACQUIRE, SATOMIC_RELEASE,
		SATOMIC_ACQ_REL, SATOMIC_SEQ_CST, 42, -1,
	};
	size_t i, j;

	for (i = 0; i < sizeof(asked) / sizeof(asked[0]); i++)
		for (j = 0; j < sizeof(asked) / sizeof(asked[0]); j++) {
			int s = asked[i], f = asked[j];
			int s2 = SATOMIC_I_SUCCESS_ORDER(s, f), f2 = SATOMIC_I_FAIL_ORDER(f);
			/* A release failure is no load order: SEQ_CST. */
			int f_want = f == SATOMIC_RELEASE || f == SATOMIC_ACQ_REL ? -1 : f;

			ck_assert_msg(at_least(s2, s) && at_least(f2, f_want),
				      "(%d, %d) runs as (%d, %d): weaker", s, f, s2, f2);
			ck_assert_msg(f2 != SATOMIC_RELEASE && f2 != SATOMIC_ACQ_REL &&
				      f2 <= s2 && valid_order(s2) && valid_order(f2),
				      "(%d, %d) runs as (%d, %d): not a valid pair", s, f, s2, f2);
		}
}
END_TEST

/* ------------------------------------------------------------------------
 * Contention: WORKERS threads or processes, ITERS rounds each, then exact
 * totals.  ITERS is odd so each worker's xor bit ends set.
 */
#define WORKERS 4
#define ITERS 100001

/* Every atomic naturally aligned, as the pages require: i386 aligns 8-byte
 * members of a struct to 4 only. */
struct shared_counters {
	_Alignas(8) uint64_t add64;
	int32_t sub32;
	uint16_t cas16;
	uint8_t add8;
	uint32_t xor32;
	_Alignas(8) uint64_t or64;
	_Alignas(8) uint64_t and64;
	_Alignas(8) uint64_t xchg;
	_Alignas(8) uint64_t xchg_seen[WORKERS];	/* sum of values each worker took out */
	_Alignas(8) uint64_t exported_add;
	_Alignas(8) double f64;
	float f32;
};

static int hammer(int w, void *arg)
{
	struct shared_counters *c = arg;
	uint64_t (*exported_add)(uint64_t *, uint64_t) =
		EXPORTED(satomic_fetch_add_u64);
	uint64_t seen = 0;
	uint16_t old16;
	int k;

	for (k = 0; k < ITERS; k++) {
		satomic_fetch_add_u64(&c->add64, 1);
		satomic_fetch_sub_i32(&c->sub32, 1);
		old16 = satomic_load_u16(&c->cas16);
		while (!satomic_cas_u16(&c->cas16, &old16, (uint16_t)(old16 + 1)))
			;
		satomic_add_fetch_u8(&c->add8, 1);
		satomic_fetch_xor_u32(&c->xor32, 1u << w);
		seen += satomic_exchange_u64(&c->xchg, (uint64_t)w * ITERS + k + 1);
		exported_add(&c->exported_add, 2);
		satomic_fetch_add_f64(&c->f64, 1.0);
		satomic_fetch_add_f32(&c->f32, 1.0f);
	}
	satomic_fetch_or_u64(&c->or64, 1ull << (8 * w));
	satomic_fetch_and_u64(&c->and64, ~(1ull << (8 * w)));
	satomic_store_u64(&c->xchg_seen[w], seen);
	return 0;
}

static void check_totals(const struct shared_counters *c)
{
	const uint64_t n = (uint64_t)WORKERS * ITERS;
	uint64_t tokens = 0, taken = c->xchg, mask = 0;
	int w;

	for (w = 0; w < WORKERS; w++) {
		mask |= 1ull << (8 * w);
		taken += c->xchg_seen[w];
	}
	tokens = n * (n + 1) / 2;	/* tokens are 1..n, each exchanged in once */
	ck_assert_uint_eq(c->add64, n);
	ck_assert_int_eq(c->sub32, -(int64_t)n);
	ck_assert_uint_eq(c->cas16, n % 65536);
	ck_assert_uint_eq(c->add8, n % 256);
	ck_assert_uint_eq(c->xor32, (1u << WORKERS) - 1);
	ck_assert_uint_eq(c->or64, mask);
	ck_assert_uint_eq(c->and64, ~mask);
	ck_assert_uint_eq(taken, tokens);
	ck_assert_uint_eq(c->exported_add, 2 * n);
	ck_assert(c->f64 == (double)n);
	ck_assert(c->f32 == (float)n);
}

static void *thread_main(void *arg)
{
	void **a = arg;

	hammer((int)(intptr_t)a[0], a[1]);
	return NULL;
}

START_TEST(test_contention_threads)
{
	struct shared_counters c = { .and64 = ~0ull };
	pthread_t t[WORKERS];
	void *args[WORKERS][2];
	int w;

	for (w = 0; w < WORKERS; w++) {
		args[w][0] = (void *)(intptr_t)w;
		args[w][1] = &c;
		ck_assert_int_eq(pthread_create(&t[w], NULL, thread_main, args[w]), 0);
	}
	for (w = 0; w < WORKERS; w++)
		ck_assert_int_eq(pthread_join(t[w], NULL), 0);
	check_totals(&c);
}
END_TEST

START_TEST(test_contention_processes)
{
	struct shared_counters *c = shared_pages(sizeof(*c));

	c->and64 = ~0ull;
	run_children(WORKERS, hammer, c);
	check_totals(c);
	munmap(c, sizeof(*c));
}
END_TEST

/*
 * One thread, and a signal handler doing the same operations on the same
 * words.  A timer interrupts the loop INTERRUPTS times; on x86 the loop is
 * also single-stepped (the trap flag: a SIGTRAP after every instruction),
 * the handler acting at one trap in 64.  An operation that is a
 * load and then a store (not one atomic step) loses the handler's update
 * whenever the signal lands between the two.  The timer alone cannot be
 * relied on for that: on an Intel Xeon guest 96% of its signals landed
 * right after a locked instruction and none ever between a load and the
 * store after it.  Single-stepping lands everywhere, on any machine,
 * however busy and however many CPUs it has (no second thread has to be
 * scheduled at the right moment).  Atomic operations lose nothing.
 * tests/mutation.sh relies on this case.
 */
#define INTERRUPTS 10000
#define HANDLER_ADD (1ull << 40)	/* the handler's share of add64, apart */
static struct shared_counters ic;
static volatile sig_atomic_t interrupts;

static void interrupt_ops(uint64_t add)
{
	uint16_t old16 = satomic_load_u16(&ic.cas16);

	satomic_fetch_add_u64(&ic.add64, add);
	satomic_fetch_sub_i32(&ic.sub32, 1);
	while (!satomic_cas_u16(&ic.cas16, &old16, (uint16_t)(old16 + 1)))
		;
	satomic_add_fetch_u8(&ic.add8, 1);
	satomic_fetch_xor_u32(&ic.xor32, 1);
	satomic_fetch_add_f64(&ic.f64, 1.0);
}

static void on_interrupt(int sig)
{
	(void)sig;
	interrupt_ops(HANDLER_ADD);
	interrupts++;
}

/* Single-stepping, where user code can set the trap flag itself; not under
 * ThreadSanitizer, which defers handlers to its own calls. */
#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#if (defined(__x86_64__) || defined(__i386__)) && !defined(UNDER_TSAN)
#define STEPPED_CALLS 1000
static volatile sig_atomic_t traps;

/*
 * Not at every trap: a compare-and-swap retried after each interruption
 * would never succeed.  At one trap in 64, chosen by a fixed pseudo-random
 * sequence: a fixed period could keep step with the loop (one trap in 97
 * acted, over 300 calls, at the same three instructions only).  Over about
 * 24000 traps, every instruction of interrupt_ops is interrupted about 15
 * times, the same ones at every run.
 */
static void on_trap(int sig)
{
	static uint32_t x = 2463534242u;	/* xorshift32 */

	traps++;
	x ^= x << 13, x ^= x >> 17, x ^= x << 5;
	if (x % 64 == 0)
		on_interrupt(sig);
}

static void trap_flag(bool on)
{
#ifdef __x86_64__
	if (on)
		__asm__ __volatile__("pushfq; orq $0x100, (%%rsp); popfq" ::: "memory", "cc");
	else
		__asm__ __volatile__("pushfq; andq $~0x100, (%%rsp); popfq" ::: "memory", "cc");
#else
	if (on)
		__asm__ __volatile__("pushfl; orl $0x100, (%%esp); popfl" ::: "memory", "cc");
	else
		__asm__ __volatile__("pushfl; andl $~0x100, (%%esp); popfl" ::: "memory", "cc");
#endif
}

/* STEPPED_CALLS of interrupt_ops(1), single-stepped: the number made. */
static uint64_t stepped_ops(void)
{
	struct sigaction sa;
	uint64_t n;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_trap;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGTRAP, &sa, NULL), 0);
	trap_flag(true);
	for (n = 0; n < STEPPED_CALLS; n++)
		interrupt_ops(1);
	trap_flag(false);
	signal(SIGTRAP, SIG_DFL);
	return n;
}
#else
static uint64_t stepped_ops(void)
{
	return 0;
}
#endif

START_TEST(test_interrupted)
{
	struct itimerval every = { { 0, 20 }, { 0, 20 } }, off = { { 0, 0 }, { 0, 0 } };
	struct sigaction sa;
	struct timespec ts;
	uint64_t n, h, total;

	if (emulated_by("qemu-i386")) {
		/* qemu-i386 7.2 aborts in its own translator (an IOPL
		 * assertion) when a signal lands at some instructions. */
		printf("SKIP (part): signals in the middle of operations, under qemu-i386\n");
		return;
	}
	memset(&ic, 0, sizeof(ic));
	interrupts = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
	ck_assert_int_eq(setitimer(ITIMER_REAL, &every, NULL), 0);
	for (n = 0; interrupts < INTERRUPTS; n++) {
		interrupt_ops(1);
		/* A call ThreadSanitizer intercepts: it delivers signals
		 * only there.  Natively a vDSO call, now and then. */
		if ((n & 1023) == 0)
			clock_gettime(CLOCK_MONOTONIC, &ts);
	}
	ck_assert_int_eq(setitimer(ITIMER_REAL, &off, NULL), 0);
	signal(SIGALRM, SIG_DFL);
	n += stepped_ops();
	h = (uint64_t)interrupts;
	total = n + h;
	ck_assert_uint_eq(ic.add64, n + h * HANDLER_ADD);
	ck_assert_int_eq(ic.sub32, (int32_t)(uint32_t)-total);
	ck_assert_uint_eq(ic.cas16, total % 65536);
	ck_assert_uint_eq(ic.add8, total % 256);
	ck_assert_uint_eq(ic.xor32, total % 2);
	ck_assert(ic.f64 == (double)total);
}
END_TEST

static Suite *primitives_suite(void)
{
	Suite *s = suite_create("primitives");
	TCase *grid = tcase_create("grid");
	TCase *misc = tcase_create("misc");
	TCase *contention = tcase_create("contention");
	TCase *interrupted = tcase_create("interrupted");

#define ADD_WIDTH_TESTS(W, T) \
	tcase_add_test(grid, test_inline_##W); \
	tcase_add_test(grid, test_exported_##W);
	SATOMIC_INTEGER_WIDTHS(ADD_WIDTH_TESTS)
	tcase_set_timeout(grid, 120);
	suite_add_tcase(s, grid);

	tcase_add_test(misc, test_wraparound);
	tcase_add_test(misc, test_float);
	tcase_add_test(misc, test_fence_and_queries);
	tcase_add_test(misc, test_cas_orders);
	suite_add_tcase(s, misc);

	tcase_add_test(contention, test_contention_threads);
	tcase_add_test(contention, test_contention_processes);
	tcase_set_timeout(contention, 300);
	suite_add_tcase(s, contention);

	tcase_add_test(interrupted, test_interrupted);
	tcase_set_timeout(interrupted, 120);
	suite_add_tcase(s, interrupted);
	return s;
}

int main(void)
{
	return run_suite(primitives_suite());
}
