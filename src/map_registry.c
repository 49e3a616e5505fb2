/*
 * The registry: who may still act on which tables (doc/map-design.md 5).
 *
 * Each thread that writes to a map claims a participant slot in the map's
 * registry the first time, and keeps it until it exits or the map handle is
 * closed.  Around each write it announces the generation it works in; a
 * migration reuses a retired area only when no live participant announces a
 * generation that area served.  A slot's owner is (pid, process start time),
 * so the slots of dead processes, zombies included, are recognized, even
 * after the pid is reused, and reclaimed.
 *
 * Process-local bookkeeping: each thread keeps a list of its registrations
 * (struct reg_node) with the one used last in front, so finding a thread's
 * slot for a map is one comparison; each handle knows the nodes made through
 * it, so closing it releases them; a pthread key's destructor releases a
 * thread's nodes when it exits; after fork the child forgets the parent's.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#if HAVE_DECL_MEMBARRIER_CMD_GLOBAL_EXPEDITED
#include <linux/membarrier.h>
#endif

#include "map_internal.h"


bool sat_membarrier_registered;

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t reg_once = PTHREAD_ONCE_INIT;
static pthread_key_t reg_key;
static uint64_t reg_serial;
static uint64_t reg_owner;		/* this process's owner id */
/* This thread's registrations, the one used last first (map_internal.h),
 * ended by reg_none: serial 0, which no handle has, so that reg_first needs
 * no test for an empty list. */
static struct reg_node reg_none;
__thread struct reg_node *sat_thread_nodes
	__attribute__((tls_model("initial-exec"))) = &reg_none;
#define thread_nodes sat_thread_nodes

/*
 * What /proc/PID/stat says of process `pid`: its start time (field 22), and
 * whether it has ended: state Z (field 3) with one thread left (field 20),
 * the leader's, a zombie that its parent has not reaped.  Such a
 * process runs no instruction again, so its slots are a dead process's.
 * A leader that ended alone (pthread_exit) is Z too, but its live threads
 * are counted.  false if the file cannot be read.
 * The file is opened relative to /proc, not by its full path: qemu-user
 * answers the full path of its own process with a made-up file whose start
 * time is that of the calling *thread*, so threads of one process would
 * each see another owner id, and other processes a third, and a live
 * participant would be taken for dead.
 */
static bool proc_stat(long pid, uint64_t *start, bool *ended)
{
	char name[32], buf[1024], state, *p;
	unsigned long long t;
	long threads;
	int dir, fd;
	ssize_t n;

	dir = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return false;
	snprintf(name, sizeof(name), "%ld/stat", pid);
	fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
	close(dir);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* The fields after the command name, which may contain spaces. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s"
		   " %*s %*s %*s %*s %ld %*s %llu", &state, &threads, &t) != 3)
		return false;
	*start = t;
	/* Exactly Z and one: an exec by another thread shows the old leader
	 * X with none for an instant, while the process lives on. */
	*ended = state == 'Z' && threads == 1;
	return true;
}

/* pid << 32 | the low 32 bits of its start time; 0 there where /proc could
 * not be read (out of descriptors, say), or where those bits are 0:
 * owner_alive then goes by the pid alone. */
static uint64_t owner_id(long pid)
{
	uint64_t started = 0;
	bool ended;

	(void)proc_stat(pid, &started, &ended);
	return (uint64_t)pid << 32 | (started & 0xffffffffu);
}

/* Whether the process that owns `owner` still exists and has not ended. */
static bool owner_alive(uint64_t owner)
{
	long pid = (long)(owner >> 32);
	uint64_t started;
	bool ended;

	if (pid <= 0)
		return false;
	if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
		return false;
	/* Without /proc the pid alone must do (it might have been reused);
	 * so it must for an owner that could not read its start time. */
	if (!proc_stat(pid, &started, &ended))
		return true;
	return !ended && ((owner & 0xffffffffu) == 0 ||
			  (started & 0xffffffffu) == (owner & 0xffffffffu));
}

bool reg_alive(const struct participant *p, uint64_t incarnation)
{
	/* Acquire, both: pair with reg_claim's CAS of owner and its
	 * fetch_add of incarnation (and slot_free's release of owner). */
	uint64_t owner = __atomic_load_n(&p->owner, __ATOMIC_ACQUIRE);
	uint64_t mine = __atomic_load_n(&p->incarnation, __ATOMIC_ACQUIRE);

	/* Incarnations are kept to 40 bits where they are recorded. */
	return owner > 1 && ((mine ^ incarnation) & AREA_INCARNATION_MASK) == 0 &&
	       owner_alive(owner);
}

static void release_thread_nodes(void *unused);

/* Ask the kernel to include this process in the reclaimers' barriers. */
static void register_membarrier(void)
{
#if HAVE_DECL_MEMBARRIER_CMD_GLOBAL_EXPEDITED
	sat_membarrier_registered = syscall(SYS_membarrier,
		MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0) == 0;
#else
	sat_membarrier_registered = false;
#endif
}

/* A full barrier on every thread of every registered process; false if the
 * kernel refuses, and then no announcement may be trusted to be visible. */
static bool barrier_everyone(void)
{
#if HAVE_DECL_MEMBARRIER_CMD_GLOBAL_EXPEDITED
	return syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0) == 0;
#else
	return false;
#endif
}

static void forget_parent(void)
{
	/* The child's copies of the parent's registrations are not its own:
	 * drop them without releasing the parent's slots. */
	thread_nodes = &reg_none;
	reg_owner = owner_id((long)getpid());
	pthread_mutex_init(&reg_lock, NULL);
	register_membarrier();
}

static void reg_init(void)
{
	pthread_key_create(&reg_key, release_thread_nodes);
	pthread_atfork(NULL, NULL, forget_parent);
	reg_owner = owner_id((long)getpid());
	register_membarrier();
}

uint64_t reg_next_serial(void)
{
	pthread_once(&reg_once, reg_init);
	return __atomic_add_fetch(&reg_serial, 1, __ATOMIC_RELAXED);
}

static void slot_free(struct participant *p)
{
	/* Release, both: the slot's last use happens before a reclaimer
	 * (reg_pinned) or the next claimant (reg_claim's CAS) sees it free. */
	__atomic_store_n(&p->announce, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&p->owner, 0, __ATOMIC_RELEASE);
}

/* Take a dead process's slot back: mark it, clear it, free it. */
static bool reclaim(struct participant *p, uint64_t owner)
{
	/* ACQ_REL: one reclaimer wins; pairs with reg_claim's CAS. */
	if (owner <= 1 || owner_alive(owner) ||
	    !__atomic_compare_exchange_n(&p->owner, &owner, 1, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return false;
	slot_free(p);
	return true;
}

int reg_claim(struct satomic_map *m, struct reg_ticket *t)
{
	unsigned i, pass;

	pthread_once(&reg_once, reg_init);
	/* First pass: a free slot; second: reclaim the dead. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < m->registry_slots; i++) {
			struct participant *p = &m->registry[i];
			uint64_t owner = __atomic_load_n(&p->owner, __ATOMIC_RELAXED);

			if (pass == 1 && owner > 1 && !reclaim(p, owner))
				continue;
			owner = 0;
			/* ACQ_REL: acquires slot_free's release (the last
			 * owner is done with the slot); the incarnation bump
			 * (ACQ_REL) and the cleared announce (release) then
			 * pair with reg_alive's and reg_pinned's loads. */
			if (__atomic_compare_exchange_n(&p->owner, &owner, reg_owner,
							false, __ATOMIC_ACQ_REL,
							__ATOMIC_RELAXED)) {
				CRASH_POINT();
				t->incarnation = __atomic_add_fetch(&p->incarnation, 1,
								    __ATOMIC_ACQ_REL);
				__atomic_store_n(&p->announce, 0, __ATOMIC_RELEASE);
				t->index = i;
				return 0;
			}
		}
	}
	return -EAGAIN;
}

bool reg_mine(const struct satomic_map *m, const struct reg_ticket *t)
{
	const struct participant *p;

	pthread_once(&reg_once, reg_init);
	if (t->index >= m->registry_slots)
		return false;
	p = &m->registry[t->index];
	/* Relaxed, both: while the claim holds, only its process stores
	 * there (a reclaimer only takes the slot of a dead process). */
	return __atomic_load_n(&p->owner, __ATOMIC_RELAXED) == reg_owner &&
	       __atomic_load_n(&p->incarnation, __ATOMIC_RELAXED) == t->incarnation;
}

void reg_release(struct satomic_map *m, const struct reg_ticket *t)
{
	/* Only this process's claim: a forked child that ends a scan it
	 * inherited must not free the parent's slot (and unpin its table),
	 * nor one it claimed since for itself. */
	if (reg_mine(m, t))
		slot_free(&m->registry[t->index]);
}

static struct reg_node *register_thread(struct satomic_map *m)
{
	struct reg_node *n = calloc(1, sizeof(*n));
	struct reg_ticket t;

	if (n == NULL || reg_claim(m, &t) != 0) {
		free(n);
		return NULL;
	}
	view_clear(&n->view);	/* decoded at its first announce */
	n->serial = m->serial;
	n->owner = reg_owner;
	n->p = &m->registry[t.index];
	n->index = t.index;
	n->map = m;
	pthread_mutex_lock(&reg_lock);
	n->next_in_map = m->nodes;
	m->nodes = n;
	pthread_mutex_unlock(&reg_lock);
	n->next_in_thread = thread_nodes;
	thread_nodes = n;
	pthread_setspecific(reg_key, n);	/* arms the exit destructor */
	return n;
}

struct reg_node *reg_find(struct satomic_map *m)
{
	struct reg_node *n, **prev;

	for (prev = &thread_nodes; (n = *prev) != &reg_none;) {
		if (node_serial(n) == m->serial) {
			*prev = n->next_in_thread;	/* move to front */
			n->next_in_thread = thread_nodes;
			thread_nodes = n;
			return n;
		}
		if (node_serial(n) == 0) {
			/* Its handle was closed (reg_detach): drop it, or a
			 * thread that opens and closes maps would keep them
			 * all.  The lock waits for reg_detach to be done. */
			pthread_mutex_lock(&reg_lock);
			*prev = n->next_in_thread;
			pthread_mutex_unlock(&reg_lock);
			free(n);
			continue;
		}
		prev = &n->next_in_thread;
	}
	return register_thread(m);
}

/* A handle is closing: free every slot claimed through it in this process. */
void reg_detach(struct satomic_map *m)
{
	struct reg_node *n;

	pthread_mutex_lock(&reg_lock);
	for (n = m->nodes; n != NULL; n = n->next_in_map) {
		if (n->owner == reg_owner)	/* not a parent's, copied by fork */
			slot_free(n->p);
		/* The owning thread drops the node later (reg_find). */
		__atomic_store_n(&n->serial, 0, __ATOMIC_RELAXED);
		n->map = NULL;
	}
	m->nodes = NULL;
	pthread_mutex_unlock(&reg_lock);
}

static void unlink_from_map(struct reg_node *n)
{
	struct reg_node **prev;

	for (prev = &n->map->nodes; *prev != NULL; prev = &(*prev)->next_in_map)
		if (*prev == n) {
			*prev = n->next_in_map;
			return;
		}
}

/* Thread exit: give back this thread's slots of maps still open. */
static void release_thread_nodes(void *unused)
{
	struct reg_node *n, *next;

	(void)unused;
	pthread_mutex_lock(&reg_lock);
	for (n = thread_nodes; n != &reg_none; n = next) {
		next = n->next_in_thread;
		if (n->serial != 0 && n->map != NULL) {
			slot_free(n->p);
			unlink_from_map(n);
		}
		free(n);
	}
	thread_nodes = &reg_none;
	pthread_mutex_unlock(&reg_lock);
}

/*
 * Whether a live participant may still act on the table of generation
 * `gen`: one that announces it as current, or as the target of the
 * migration from gen - 1.  Slots of dead processes are reclaimed on the way.
 */
bool reg_pinned(struct satomic_map *m, uint64_t gen)
{
	unsigned i;

	/* Make every registered writer's announcement visible (reg_announce);
	 * without that barrier nothing retired may be reused. */
	if (!barrier_everyone())
		return true;
	for (i = 0; i < m->registry_slots; i++) {
		struct participant *p = &m->registry[i];
		/* SC: pairs with announce_store's SC store (or, with
		 * membarrier, is ordered after it by the barrier above) and
		 * with reg_leave's release. */
		uint64_t a = __atomic_load_n(&p->announce, __ATOMIC_SEQ_CST);
		uint64_t owner;

		if (a == 0)
			continue;
		if (announce_gen(a) != gen &&
		    !(announce_migrating(a) && announce_gen(a) + 1 == gen))
			continue;
		/* Acquire: pairs with reg_claim's CAS and slot_free. */
		owner = __atomic_load_n(&p->owner, __ATOMIC_ACQUIRE);
		if (owner > 1 && !reclaim(p, owner))
			return true;	/* alive, and maybe inside that table */
	}
	return false;
}

