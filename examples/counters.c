/*
 * counters: N processes hammer shared counters through several primitives,
 * then the parent checks the exact totals and prints the throughput.
 *
 *   usage: counters [-p PROCESSES] [-n OPERATIONS_PER_PROCESS]
 *
 * Exit status 0 when every total is exact, 1 otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sharedatomic.h>

struct counters {
	uint64_t fetch_add;
	uint32_t cas_loop;
	uint64_t exchange;
	uint64_t exchanged_out;
	double fadd;
	struct satomic_u128 pair;	/* (n, 2n): both halves move together */
};

enum { FETCH_ADD, CAS_LOOP, EXCHANGE, FLOAT_ADD, CAS128, NPHASES };
static const char *const phase_name[NPHASES] = {
	"fetch_add_u64", "cas_u32 (loop)", "exchange_u64", "fetch_add_f64",
	"cas_u128 (loop)",
};

static void work(struct counters *c, int phase, int proc, long n)
{
	uint64_t out = 0;
	long k;

	for (k = 0; k < n; k++) {
		switch (phase) {
		case FETCH_ADD:
			satomic_fetch_add_u64(&c->fetch_add, 1);
			break;
		case CAS_LOOP: {
			uint32_t old = satomic_load_u32(&c->cas_loop);
			while (!satomic_cas_u32(&c->cas_loop, &old, old + 1))
				;
			break;
		}
		case EXCHANGE:	/* each token goes in once and comes out once */
			out += satomic_exchange_u64(&c->exchange,
						    (uint64_t)proc * n + k + 1);
			break;
		case FLOAT_ADD:
			satomic_fetch_add_f64(&c->fadd, 1.0);
			break;
		case CAS128: {
			struct satomic_u128 e = { 0, 0 }, want;
			do {
				want.lo = e.lo + 1;
				want.hi = e.hi + 2;
			} while (satomic_cas_u128(&c->pair, &e, want) == 0);
			break;
		}
		}
	}
	if (phase == EXCHANGE)
		satomic_fetch_add_u64(&c->exchanged_out, out);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Runs one phase in `procs` processes; returns the seconds it took. */
static double run_phase(struct counters *c, int phase, int procs, long n)
{
	double start = now();
	int p, status, failed = 0;

	for (p = 0; p < procs; p++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			exit(1);
		}
		if (pid == 0) {
			work(c, phase, p, n);
			_exit(0);
		}
	}
	for (p = 0; p < procs; p++)
		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			failed = 1;
	if (failed) {
		fprintf(stderr, "counters: a worker process failed\n");
		exit(1);
	}
	return now() - start;
}

static int check(const char *name, double got, double want, double secs,
		 long total)
{
	int ok = got == want;

	printf("  %-18s %12ld ops  total %-14.0f %-9s %7.1f M ops/s\n", name,
	       total, got, ok ? "(exact)" : "(WRONG)", total / secs / 1e6);
	if (!ok)
		printf("    expected %.0f\n", want);
	return ok;
}

int main(int argc, char **argv)
{
	long n = 2000000, online = sysconf(_SC_NPROCESSORS_ONLN);
	int procs = online > 1 ? (int)online : 2, opt, ok = 1, phase;
	struct counters *c;
	double secs[NPHASES];

	while ((opt = getopt(argc, argv, "p:n:")) != -1) {
		if (opt == 'p')
			procs = atoi(optarg);
		else if (opt == 'n')
			n = atol(optarg);
		else {
			fprintf(stderr, "usage: %s [-p processes] [-n operations]\n",
				argv[0]);
			return 2;
		}
	}
	if (procs < 1 || n < 1) {
		fprintf(stderr, "counters: -p and -n must be positive\n");
		return 2;
	}
	c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(c, 0, sizeof(*c));

	printf("libsharedatomic demo: %d processes x %ld operations on shared "
	       "counters\n", procs, n);
	for (phase = 0; phase < NPHASES; phase++) {
		if (phase == CAS128 && !satomic_cas128_supported())
			continue;
		secs[phase] = run_phase(c, phase, procs, n);
	}

	const double total = (double)procs * n;
	ok &= check(phase_name[FETCH_ADD], (double)c->fetch_add, total,
		    secs[FETCH_ADD], procs * n);
	ok &= check(phase_name[CAS_LOOP], (double)c->cas_loop,
		    (double)(uint32_t)(procs * n), secs[CAS_LOOP], procs * n);
	/* Tokens 1..total went in; what came out plus what is left is their sum. */
	ok &= check(phase_name[EXCHANGE], (double)(c->exchanged_out + c->exchange),
		    total * (total + 1) / 2, secs[EXCHANGE], procs * n);
	ok &= check(phase_name[FLOAT_ADD], c->fadd, total, secs[FLOAT_ADD],
		    procs * n);
	if (satomic_cas128_supported())
		ok &= check(phase_name[CAS128], (double)c->pair.lo, total,
			    secs[CAS128], procs * n) &&
		      c->pair.hi == 2 * c->pair.lo;
	else
		printf("  %-18s skipped: %s\n", phase_name[CAS128],
		       satomic_strerror(-ENOTSUP));
	printf(ok ? "all totals exact\n" : "SOME TOTALS ARE WRONG\n");
	return ok ? 0 : 1;
}
