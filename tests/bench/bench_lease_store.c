/*
 * Lease-store commit throughput, through the real path: lease_store_submit into the
 * bounded queue, the writer thread's group commit (WAL, one transaction per batch, each
 * change with its event row), and the completion polled back by the producer, as a
 * dataplane lcore does before it sends a DHCPACK.
 *
 * The changes look like a real service's: every client has its own MAC address (a hash of
 * its number, so that they arrive in no order, as real ones do), a client identifier
 * (01 + MAC, as most clients send), a host name, and the relay's giaddr, circuit-id and
 * remote-id. Each cell starts from a copy of one database that already holds
 * BENCH_PREFILL active leases (and their events), so that the indexes have a realistic
 * size. Two workloads:
 *   bind:  BIND of an address nobody had yet (DORA of new clients);
 *   renew: RENEW of one of the prefilled leases (the steady state of a service).
 *
 * Table 1: bind, batch size (1 .. 4096) x synchronous (FULL, NORMAL); table 2: renew at
 * a few batch sizes. Per cell: lease changes per second, transactions per second, the
 * latency from submit to completion, and the CPU the writer thread used per change (from
 * the scheduler's own clock, /proc/self/task/TID/schedstat, which counts only the time
 * the thread ran, so it stays meaningful when other work shares the CPU), with the rate
 * that CPU cost allows on one core. The checkpointer thread's CPU per change is shown
 * apart: it copies the WAL into the database off the commit path.
 * Table 3: the writer's maintenance (expiry of leases that ran out, pruning of old events)
 * draining a large backlog while a client keeps committing one change at a time.
 * Table 4: where the writer's CPU goes. The bind cell at batch 4096 again, on copies of the
 * prefilled database from which secondary indexes are dropped one group at a time (the
 * writer needs none of them to work: every statement it runs finds its row by the primary
 * key), down to none at all; then SQLite's own floor on this machine: rows appended by one
 * prepared statement in transactions of 4096, with no writer, queue or index around them.
 *
 * A file database in a fresh directory under $TMPDIR (default /tmp); the file system type
 * and the load average are printed. Nothing here is asserted: the numbers are for people.
 *
 * Usage:
 *   bench_lease_store [SECONDS_PER_CELL]                        every table (default 1 s)
 *   bench_lease_store SECONDS BATCH full|normal [bind|renew]    one cell
 *   bench_lease_store --changes N BATCH full|normal [bind|renew]
 *       one cell of exactly N changes: under valgrind --tool=callgrind --instr-atstart=no
 *       counting starts with the cell's store, so the writer thread's instructions divided
 *       by N are its instructions per change (docs/lease-store.md shows the command)
 * Environment: BENCH_PREFILL (leases in the starting database, default 100000); BENCH_SQL
 * (one cell only: SQL run on the cell's copy of the database first, to try a schema
 * variant, e.g. "DROP INDEX lease_events_by_hwaddr").
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_START_INSTRUMENTATION
#endif

#include <sqlite3.h>

#include "lease-store/lease_store.h"

#define BENCH_TENANT_ADDR_BASE 0x0a000000u
#define BENCH_PREFILL_DEFAULT  100000
/* A busy service's steady rate of lease changes, for the maintenance table. */
#define BENCH_MAINT_RATE    500
#define BENCH_MAINT_BACKLOG 50000

enum bench_work { BENCH_BIND, BENCH_RENEW };

static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * CPU seconds the thread called @name has run since it started, from the scheduler's
 * clock (/proc/self/task/TID/schedstat, nanoseconds), or -1 when there is no such thread.
 */
static double bench_thread_cpu(const char *name)
{
	DIR *dir = opendir("/proc/self/task");
	struct dirent *de;
	double cpu = -1;

	if (dir == NULL)
		return -1;
	while (cpu < 0 && (de = readdir(dir)) != NULL) {
		char path[300], buf[256];
		FILE *fp;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", de->d_name);
		fp = fopen(path, "r");
		if (fp == NULL)
			continue;
		bool match = fgets(buf, sizeof(buf), fp) != NULL &&
		             strncmp(buf, name, strlen(name)) == 0 && buf[strlen(name)] == '\n';

		fclose(fp);
		if (!match)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/schedstat", de->d_name);
		fp = fopen(path, "r");
		if (fp == NULL)
			continue;
		unsigned long long ns;

		if (fscanf(fp, "%llu", &ns) == 1)
			cpu = (double)ns / 1e9;
		fclose(fp);
	}
	closedir(dir);
	return cpu;
}

static void bench_sleep_us(long us)
{
	struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};

	nanosleep(&ts, NULL);
}

static const char *bench_fs_name(const char *dir)
{
	struct statfs sf;

	if (statfs(dir, &sf) != 0)
		return "unknown";
	switch ((unsigned long)sf.f_type) {
	case EXT4_SUPER_MAGIC:
		return "ext4 (or ext2/3)";
	case TMPFS_MAGIC:
		return "tmpfs (no real fsync: FULL costs little here)";
	case BTRFS_SUPER_MAGIC:
		return "btrfs";
	case XFS_SUPER_MAGIC:
		return "xfs";
	case OVERLAYFS_SUPER_MAGIC:
		return "overlayfs";
	default:
		return "other";
	}
}

struct bench_dir {
	char dir[256];
	char db[300];
};

static int bench_dir_make(struct bench_dir *d)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(d->dir, sizeof(d->dir), "%s/mtdhcp-bench-XXXXXX",
	         tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(d->dir) == NULL)
		return -errno;
	snprintf(d->db, sizeof(d->db), "%s/leases.db", d->dir);
	return 0;
}

static void bench_dir_remove(struct bench_dir *d)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal", ".lock"};
	char p[320];

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", d->db, suffixes[i]);
		unlink(p);
	}
	rmdir(d->dir);
}

/* Copies file @from to @to (the prefilled database into a cell's directory). */
static int bench_copy(const char *from, const char *to)
{
	char buf[1 << 16];
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ssize_t n = 0;

	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0) {
		if (write(out, buf, (size_t)n) != n) {
			n = -1;
			break;
		}
	}
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return in < 0 || out < 0 || n < 0 ? -EIO : 0;
}

/* Runs @sql on database @db (a cell's copy, before its store opens it). */
static int bench_exec(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	char *msg = NULL;
	int rc = sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_exec(h, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		fprintf(stderr, "bench_lease_store: %s: %s\n", sql,
		        msg != NULL ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	sqlite3_close(h);
	return rc == SQLITE_OK ? 0 : -EIO;
}

static struct lease_store *bench_open(const char *db, bool full, uint32_t batch, uint32_t usec,
                                      uint32_t queue, uint32_t maint_ms, uint32_t *tenant)
{
	struct lease_store_params p = {
	    .path = db,
	    .synchronous_full = full,
	    .batch_max = batch,
	    .batch_usec = usec,
	    .queue_size = queue,
	    .n_owners = 1,
	    .maint_interval_ms = maint_ms,
	};
	char err[512];
	struct lease_store *s = lease_store_open(&p, err, sizeof(err));

	if (s == NULL) {
		fprintf(stderr, "bench_lease_store: %s\n", err);
		return NULL;
	}
	if (lease_store_tenant_id(s, "bench", tenant) != 0) {
		fprintf(stderr, "bench_lease_store: cannot name the tenant\n");
		lease_store_close(s);
		return NULL;
	}
	return s;
}

/* A 32-bit mix (the finalizer of MurmurHash3): client numbers to unordered MAC bytes. */
static uint32_t bench_mix(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x85ebca6bu;
	x ^= x >> 13;
	x *= 0xc2b2ae35u;
	x ^= x >> 16;
	return x;
}

/* The change of client @i (the holder of address base + @i) at time @now. */
static void bench_change(struct lease_change *ch, enum lease_op op, uint32_t tenant, uint32_t i,
                         int64_t now)
{
	uint32_t h = bench_mix(i);

	memset(ch, 0, sizeof(*ch));
	ch->op = op;
	ch->cookie = i;
	ch->rec.tenant_id = tenant;
	ch->rec.address = BENCH_TENANT_ADDR_BASE + (i & 0xffffff);
	ch->rec.state = LEASE_STATE_ACTIVE;
	ch->rec.start_time = now;
	ch->rec.end_time = now + 3600;
	ch->rec.cltt = now;
	ch->rec.hwtype = 1;
	ch->rec.hwlen = 6;
	ch->rec.hwaddr[0] = 0x02;
	ch->rec.hwaddr[1] = (uint8_t)(i >> 24);
	memcpy(&ch->rec.hwaddr[2], &h, 4);
	ch->rec.client_id_len = 7;
	ch->rec.client_id[0] = 1;
	memcpy(&ch->rec.client_id[1], ch->rec.hwaddr, 6);
	ch->rec.hostname_len = (uint8_t)snprintf(ch->rec.hostname, sizeof(ch->rec.hostname),
	                                         "pc-%06x", (unsigned)(h & 0xffffff));
	ch->rec.giaddr = 0xc0a80101;
	ch->rec.circuit_id_len = (uint8_t)snprintf((char *)ch->rec.circuit_id,
	                                           sizeof(ch->rec.circuit_id), "eth0/1/%u",
	                                           (unsigned)(i % 48));
	ch->rec.remote_id_len = 6;
	memcpy(ch->rec.remote_id, "\x00\x1b\x21\x3c\x4d\x5e", 6);
}

static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Latency samples (seconds): at most one per change, capped. */
struct bench_lat {
	double *v;
	size_t n, cap;
};

static void bench_lat_add(struct bench_lat *l, double x)
{
	if (l->n < l->cap)
		l->v[l->n++] = x;
}

static double bench_lat_pct(struct bench_lat *l, double pct)
{
	if (l->n == 0)
		return 0;
	qsort(l->v, l->n, sizeof(*l->v), bench_cmp_double);
	size_t i = (size_t)(pct / 100.0 * (double)(l->n - 1) + 0.5);

	return l->v[i];
}

/*
 * The database every cell starts from: @n active leases of clients 0 .. n-1, bound an hour
 * ago for a day, committed in large batches without any maintenance.
 */
static int bench_prefill(const char *db, uint32_t n)
{
	int64_t now = time(NULL);
	uint32_t tenant;
	struct lease_store *s = bench_open(db, false, 4096, 2000, 8192, 0, &tenant);
	struct lease_completion done[512];
	uint32_t sent = 0, got = 0;

	if (s == NULL || lease_store_start(s) != 0)
		return -EIO;
	while (got < n) {
		while (sent < n && sent - got < 8192) {
			struct lease_change ch;

			bench_change(&ch, LEASE_OP_BIND, tenant, sent, now - 3600);
			/* Long leases: none runs out (and is expired by the writer) during a cell. */
			ch.rec.end_time = now + 86400;
			if (lease_store_submit(s, &ch) != 0)
				break;
			sent++;
		}
		size_t k = lease_store_poll(s, 0, done, 512);

		for (size_t i = 0; i < k; i++) {
			if (done[i].status != 0) {
				lease_store_close(s);
				return -EIO;
			}
		}
		got += (uint32_t)k;
		if (k == 0)
			bench_sleep_us(100);
	}
	lease_store_close(s);
	return 0;
}

struct bench_cell {
	bool full;
	uint32_t batch;
	enum bench_work work;
	double seconds;   /* with changes 0: the cell's length */
	uint64_t changes; /* or exactly this many changes */
	const char *sql;  /* run on the cell's copy of the database first, or NULL */
};

struct bench_result {
	double writer_us; /* the writer thread's CPU time per change */
	double ckpt_us;   /* the checkpointer's */
	double changes_per_s;
	double txn_per_s;
	double avg_batch;
	double p50_ms, p99_ms;
	uint64_t completed;
	uint64_t failed;
};

/*
 * Runs one cell on a copy of @prefilled (holding @prefill leases): a producer keeps up to
 * two batches of changes submitted and polls their completions.
 */
static int bench_cell(const struct bench_cell *c, const char *prefilled, uint32_t prefill,
                      struct bench_result *r)
{
	/*
	 * Two batches in flight: one being committed while the next fills, as a busy service
	 * would keep the writer. Deeper only adds queueing to the latency.
	 */
	uint32_t inflight = c->batch * 2;
	struct lease_completion done[512];
	struct lease_store_stats st0, st1;
	struct bench_dir d;
	struct lease_store *s;
	uint32_t tenant, next = 0, outstanding = 0;
	uint64_t completed = 0, failed = 0, submitted = 0;
	int64_t now = time(NULL);
	double *sent = calloc(inflight * 2, sizeof(*sent));
	struct bench_lat lat = {.cap = 4000000};

	lat.v = calloc(lat.cap, sizeof(*lat.v));
	if (sent == NULL || lat.v == NULL || bench_dir_make(&d) != 0)
		return -ENOMEM;
	if (bench_copy(prefilled, d.db) != 0 || (c->sql != NULL && bench_exec(d.db, c->sql) != 0)) {
		bench_dir_remove(&d);
		return -EIO;
	}
	/*
	 * Under callgrind --instr-atstart=no, counting starts here, for every thread: the
	 * prefill's threads have ended, and this cell's writer and checkpointer have not
	 * started yet (callgrind's ZERO_STATS would zero the calling thread's counts only).
	 */
	CALLGRIND_START_INSTRUMENTATION;
	/* A batch window long enough for a producer that keeps the queue fed to fill it. */
	s = bench_open(d.db, c->full, c->batch, 2000, inflight * 2, 0, &tenant);
	if (s == NULL || lease_store_start(s) != 0) {
		bench_dir_remove(&d);
		return -EIO;
	}
	/* Let the writer's first maintenance (nothing to do here) pass before measuring. */
	bench_sleep_us(20000);
	lease_store_get_stats(s, &st0);
	double w0 = bench_thread_cpu("lease-writer"), k0 = bench_thread_cpu("lease-ckpt");

	double t0 = bench_now(), end = c->changes == 0 ? t0 + c->seconds : 1e300, t;

	while (((t = bench_now()) < end && (c->changes == 0 || submitted < c->changes)) ||
	       outstanding > 0) {
		/* Keep the queue fed while the cell runs. */
		while (t < end && (c->changes == 0 || submitted < c->changes) &&
		       outstanding < inflight) {
			struct lease_change ch;

			if (c->work == BENCH_BIND) {
				bench_change(&ch, LEASE_OP_BIND, tenant, prefill + next, now);
			} else {
				/* Each renewal a second later than the previous one of its lease.
				 */
				bench_change(&ch, LEASE_OP_RENEW, tenant, next % prefill,
				             now + 1 + next / prefill);
				ch.rec.start_time = now - 3600;
			}
			ch.cookie = next % (inflight * 2);
			if (lease_store_submit(s, &ch) != 0)
				break;
			sent[ch.cookie] = t;
			next++;
			submitted++;
			outstanding++;
		}
		size_t n = lease_store_poll(s, 0, done, sizeof(done) / sizeof(done[0]));

		if (n == 0) {
			bench_sleep_us(20);
			continue;
		}
		t = bench_now();
		for (size_t i = 0; i < n; i++) {
			bench_lat_add(&lat, t - sent[done[i].cookie]);
			failed += done[i].status != 0;
		}
		completed += n;
		outstanding -= (uint32_t)n;
	}
	double elapsed = bench_now() - t0;
	double w1 = bench_thread_cpu("lease-writer"), k1 = bench_thread_cpu("lease-ckpt");

	lease_store_get_stats(s, &st1);
	lease_store_close(s);
	bench_dir_remove(&d);
	r->completed = completed;
	r->changes_per_s = (double)completed / elapsed;
	r->writer_us = completed > 0 && w0 >= 0 ? (w1 - w0) * 1e6 / (double)completed : 0;
	r->ckpt_us = completed > 0 && k0 >= 0 ? (k1 - k0) * 1e6 / (double)completed : 0;
	r->txn_per_s = (double)(st1.transactions - st0.transactions) / elapsed;
	r->avg_batch = st1.transactions > st0.transactions
	                   ? (double)(st1.committed - st0.committed) /
	                         (double)(st1.transactions - st0.transactions)
	                   : 0;
	r->p50_ms = bench_lat_pct(&lat, 50) * 1e3;
	r->p99_ms = bench_lat_pct(&lat, 99) * 1e3;
	r->failed = failed;
	free(sent);
	free(lat.v);
	return 0;
}

static void bench_row(const struct bench_cell *c, const struct bench_result *r)
{
	double load[1] = {0};

	getloadavg(load, 1);
	printf("| %5u | %-6s | %-5s | %9.0f | %7.0f | %9.1f | %7.2f | %8.2f | %9.2f | %8.0f |"
	       " %7.2f | %5.1f |%s\n",
	       c->batch, c->full ? "FULL" : "NORMAL", c->work == BENCH_BIND ? "bind" : "renew",
	       r->changes_per_s, r->txn_per_s, r->avg_batch, r->p50_ms, r->p99_ms, r->writer_us,
	       r->writer_us > 0 ? 1e6 / r->writer_us : 0, r->ckpt_us, load[0],
	       r->failed != 0 ? " (some changes failed!)" : "");
	fflush(stdout);
}

static void bench_header(void)
{
	printf("| batch | sync   | work  | changes/s |  txn/s | changes/txn | p50 ms |   p99 ms |"
	       " writer us | 1-core/s | ckpt us | load  |\n");
	printf("|------:|:-------|:------|----------:|-------:|------------:|-------:|---------:|"
	       "----------:|---------:|--------:|------:|\n");
}

/*
 * A service committing @rate changes a second (each submitted on time, whatever the
 * others' fate) for @seconds, or with a backlog until the writer has worked it off (at
 * most @seconds): the latency of those changes. The backlog is @backlog leases (and their
 * events) that ended 59 days ago, which the writer's maintenance expires and prunes
 * meanwhile.
 */
static int bench_maint(uint32_t backlog, uint32_t rate, double seconds)
{
	struct bench_dir d;
	struct lease_store *s;
	struct lease_store_stats st;
	struct lease_completion done[512];
	uint32_t tenant;
	int64_t now = time(NULL);
	struct bench_lat lat = {.cap = 1000000};
	double max = 0, *sent = calloc(16384, sizeof(*sent));

	lat.v = calloc(lat.cap, sizeof(*lat.v));
	if (lat.v == NULL || sent == NULL || bench_dir_make(&d) != 0)
		return -ENOMEM;
	if (backlog > 0) {
		/*
		 * The backlog, queued into a store whose writer never starts: closing it commits
		 * the lot (big batches) without any maintenance.
		 */
		s = bench_open(d.db, false, 4096, 2000, BENCH_MAINT_BACKLOG, 0, &tenant);
		if (s == NULL)
			return -EIO;
		for (uint32_t i = 0; i < backlog; i++) {
			struct lease_change ch;

			bench_change(&ch, LEASE_OP_BIND, tenant, 0x800000 + i, now - 60 * 86400);
			ch.rec.end_time = now - 59 * 86400;
			if (lease_store_submit(s, &ch) != 0)
				return -EIO;
		}
		lease_store_close(s);
	}
	/* The service file's defaults: batches of up to 256, a 200 us window. */
	s = bench_open(d.db, true, 256, 200, 16384, 0, &tenant);
	if (s == NULL || lease_store_start(s) != 0)
		return -EIO;
	double t0 = bench_now(), drained = 0, next = t0, t;
	uint32_t i = 0, outstanding = 0;

	while ((t = bench_now()) - t0 < seconds || outstanding > 0) {
		if (t - t0 < seconds && t >= next && drained == 0 && outstanding < 16384) {
			struct lease_change ch;

			bench_change(&ch, LEASE_OP_BIND, tenant, i, now);
			ch.cookie = i % 16384;
			if (lease_store_submit(s, &ch) == 0) {
				sent[ch.cookie] = t;
				i++;
				outstanding++;
			}
			next += 1.0 / rate;
		}
		size_t n = lease_store_poll(s, 0, done, 512);

		t = bench_now();
		for (size_t k = 0; k < n; k++) {
			double l = t - sent[done[k].cookie];

			bench_lat_add(&lat, l);
			if (l > max)
				max = l;
		}
		outstanding -= (uint32_t)n;
		lease_store_get_stats(s, &st);
		if (drained == 0 && backlog > 0 && st.expired >= backlog &&
		    st.pruned >= 2 * backlog)
			drained = t - t0;
		if (n == 0)
			bench_sleep_us(50);
		if (backlog == 0 ? false : drained > 0 && outstanding == 0)
			break;
	}
	lease_store_get_stats(s, &st);
	lease_store_close(s);
	bench_dir_remove(&d);
	char drain[32];

	if (backlog == 0)
		snprintf(drain, sizeof(drain), "-");
	else if (drained > 0)
		snprintf(drain, sizeof(drain), "%.2f s", drained);
	else
		snprintf(drain, sizeof(drain), "not yet");
	printf("| %7u | %7u | %6.2f | %6.2f | %6.2f | %7" PRIu64 " | %7" PRIu64 " | %8s |\n",
	       backlog, i, bench_lat_pct(&lat, 50) * 1e3, bench_lat_pct(&lat, 99) * 1e3, max * 1e3,
	       st.expired, st.pruned, drain);
	free(lat.v);
	free(sent);
	return 0;
}

static double bench_thread_cpu_self(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * SQLite's floor: @rows rows appended to a fresh table (@create) by one prepared statement
 * (@insert, whose parameters are bound once, as the cheapest writer would), in transactions
 * of 4096 in WAL mode with synchronous=NORMAL, on this thread. Returns the CPU microseconds
 * per row (this thread's clock: the commits' writes included), or a negative value.
 */
static double bench_floor(const char *create, const char *insert, uint32_t rows)
{
	struct bench_dir d;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	double cpu = -1;

	if (bench_dir_make(&d) != 0)
		return -1;
	int rc = sqlite3_open_v2(d.db, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db,
		                  "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
		                  " PRAGMA cache_size = -65536",
		                  NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, create, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v3(db, insert, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	for (int i = 1; rc == SQLITE_OK && st != NULL && i <= sqlite3_bind_parameter_count(st); i++)
		rc = i % 4 == 0
		         ? sqlite3_bind_blob(st, i, "\x02\x00\x5e\x10\x20\x30", 6, SQLITE_STATIC)
		         : sqlite3_bind_int64(st, i, 1700000000 + i);
	double t0 = bench_thread_cpu_self();

	for (uint32_t n = 0; rc == SQLITE_OK && n < rows; n++) {
		const char *txn = n == 0 ? "BEGIN IMMEDIATE" : "COMMIT; BEGIN IMMEDIATE";

		if (n % 4096 == 0)
			rc = sqlite3_exec(db, txn, NULL, NULL, NULL);
		if (rc == SQLITE_OK && sqlite3_step(st) != SQLITE_DONE)
			rc = SQLITE_ERROR;
		sqlite3_reset(st);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		cpu = (bench_thread_cpu_self() - t0) * 1e6 / rows;
	else
		fprintf(stderr, "bench_lease_store: floor: %s\n", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	bench_dir_remove(&d);
	return cpu;
}

/* Table 4: the writer's CPU per change as secondary indexes go, then SQLite's floor. */
static int bench_schema_cost(const char *prefilled, uint32_t prefill, double seconds)
{
	/* Cumulative: each row drops its own indexes and keeps the previous rows' drops. */
	static const struct {
		const char *what, *sql;
	} steps[] = {
	    {"the schema as it is (4 indexes on leases, 3 on lease_events)", ""},
	    {"- lease_events_by_hwaddr", "DROP INDEX lease_events_by_hwaddr;"},
	    {"- lease_events_by_address, lease_events_by_keep",
	     "DROP INDEX lease_events_by_address; DROP INDEX lease_events_by_keep;"},
	    {"- leases_by_hwaddr, leases_by_client_id",
	     "DROP INDEX leases_by_hwaddr; DROP INDEX leases_by_client_id;"},
	    {"- leases_by_end_time: no secondary index left", "DROP INDEX leases_by_end_time;"},
	};
	char sql[512] = "";
	double first = 0;

	printf("\nwhere the writer's CPU goes: bind, batch 4096, NORMAL, on copies of the same\n"
	       "database with secondary indexes dropped (cumulative)\n\n");
	printf("| schema | changes/s | writer us | 1-core/s | us saved |\n");
	printf("|:-------|----------:|----------:|---------:|---------:|\n");
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct bench_cell c = {.full = false,
		                       .batch = 4096,
		                       .work = BENCH_BIND,
		                       .seconds = seconds,
		                       .sql = sql};
		struct bench_result r;

		strncat(sql, steps[i].sql, sizeof(sql) - strlen(sql) - 1);
		if (bench_cell(&c, prefilled, prefill, &r) != 0 || r.failed != 0)
			return -EIO;
		if (i == 0)
			first = r.writer_us;
		printf("| %s | %.0f | %.2f | %.0f | %.2f |\n", steps[i].what, r.changes_per_s,
		       r.writer_us, r.writer_us > 0 ? 1e6 / r.writer_us : 0, first - r.writer_us);
		fflush(stdout);
	}

	static const struct {
		const char *what, *create, *insert;
	} floors[] = {
	    {"one INTEGER column", "CREATE TABLE t (x INTEGER)", "INSERT INTO t (x) VALUES (?)"},
	    {"a lease_events row (19 columns, rowid)",
	     "CREATE TABLE t (id INTEGER PRIMARY KEY, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11,"
	     " c12, c13, c14, c15, c16, c17, c18, c19)",
	     "INSERT INTO t (c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16,"
	     " c17, c18, c19) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"},
	};
	const uint32_t rows = 400000;

	printf("\nSQLite's floor on this machine: %u rows appended by one prepared statement,\n"
	       "transactions of 4096, WAL, NORMAL, no index, no writer thread\n\n",
	       rows);
	printf("| row | CPU us/row | rows/s on one core |\n");
	printf("|:----|-----------:|-------------------:|\n");
	for (size_t i = 0; i < sizeof(floors) / sizeof(floors[0]); i++) {
		double us = bench_floor(floors[i].create, floors[i].insert, rows);

		if (us <= 0)
			return -EIO;
		printf("| %s | %.2f | %.0f |\n", floors[i].what, us, 1e6 / us);
		fflush(stdout);
	}
	return 0;
}

static int bench_usage(void)
{
	fprintf(stderr, "usage: bench_lease_store [SECONDS_PER_CELL]\n"
	                "       bench_lease_store SECONDS BATCH full|normal [bind|renew]\n"
	                "       bench_lease_store --changes N BATCH full|normal [bind|renew]\n");
	return 2;
}

/* One cell from the command line (argv: SECONDS|--changes N, BATCH, SYNC [, WORK]). */
static int bench_one(int argc, char **argv, const char *prefilled, uint32_t prefill)
{
	struct bench_cell c = {0};
	struct bench_result r;
	int a = 1;

	if (strcmp(argv[a], "--changes") == 0) {
		c.changes = strtoull(argv[++a], NULL, 10);
		if (c.changes == 0)
			return bench_usage();
	} else {
		c.seconds = atof(argv[a]);
	}
	a++;
	if (argc - a < 2 || argc - a > 3 || atoi(argv[a]) <= 0 ||
	    (strcmp(argv[a + 1], "full") != 0 && strcmp(argv[a + 1], "normal") != 0) ||
	    (argc - a == 3 && strcmp(argv[a + 2], "bind") != 0 &&
	     strcmp(argv[a + 2], "renew") != 0))
		return bench_usage();
	c.batch = (uint32_t)atoi(argv[a]);
	c.full = strcmp(argv[a + 1], "full") == 0;
	c.work = argc - a == 3 && strcmp(argv[a + 2], "renew") == 0 ? BENCH_RENEW : BENCH_BIND;
	c.sql = getenv("BENCH_SQL");
	if (bench_cell(&c, prefilled, prefill, &r) != 0)
		return 1;
	printf("batch %u, %s, %s: %" PRIu64 " changes, %.0f changes/s, %.0f transactions/s,"
	       " %.1f changes/txn, p50 %.2f ms, p99 %.2f ms, writer %.2f CPU us/change"
	       " (%.0f/s on one core), checkpointer %.2f CPU us/change\n",
	       c.batch, c.full ? "FULL" : "NORMAL", c.work == BENCH_BIND ? "bind" : "renew",
	       r.completed, r.changes_per_s, r.txn_per_s, r.avg_batch, r.p50_ms, r.p99_ms,
	       r.writer_us, r.writer_us > 0 ? 1e6 / r.writer_us : 0, r.ckpt_us);
	return 0;
}

int main(int argc, char **argv)
{
	static const uint32_t batches[] = {1, 4, 16, 64, 256, 1024, 4096};
	static const uint32_t renew_batches[] = {64, 1024, 4096};
	const char *env = getenv("BENCH_PREFILL");
	uint32_t prefill = env != NULL ? (uint32_t)strtoul(env, NULL, 10) : BENCH_PREFILL_DEFAULT;
	double seconds = argc > 1 && argv[1][0] != '-' ? atof(argv[1]) : 1.0;
	struct bench_dir pre;
	int ret = 0;

	if (argc > 6 || argc == 3 || (argc == 2 && seconds <= 0) || prefill == 0 ||
	    prefill > 0x7fffff)
		return bench_usage();
	if (bench_dir_make(&pre) != 0) {
		perror("bench_lease_store: mkdtemp");
		return 1;
	}
	if (bench_prefill(pre.db, prefill) != 0) {
		fprintf(stderr, "bench_lease_store: cannot prefill the database\n");
		bench_dir_remove(&pre);
		return 1;
	}
	if (argc >= 4) {
		ret = bench_one(argc, argv, pre.db, prefill);
		bench_dir_remove(&pre);
		return ret;
	}
	printf("lease store group commit: submit -> writer -> completion, one producer;\n"
	       "bind = BIND of a new address, renew = RENEW of an existing lease (each a row\n"
	       "write + an event row); %u leases in the database at the start; %.1f s per cell\n",
	       prefill, seconds);
	printf("database directory: %s, file system: %s\n", pre.dir, bench_fs_name(pre.dir));
	double load[3];

	if (getloadavg(load, 3) == 3)
		printf("load average at the start: %.2f %.2f %.2f on %ld CPUs (other work on the"
		       " machine skews changes/s and latency; writer us is CPU time and holds)\n",
		       load[0], load[1], load[2], sysconf(_SC_NPROCESSORS_ONLN));
	printf("writer us = the writer thread's CPU per change; 1-core/s = 1e6 / writer us;"
	       " ckpt us = the checkpointer thread's CPU per change; load = 1-min load average\n\n");
	bench_header();
	for (int full = 1; full >= 0 && ret == 0; full--) {
		for (size_t i = 0; i < sizeof(batches) / sizeof(batches[0]) && ret == 0; i++) {
			struct bench_cell c = {.full = full, .batch = batches[i], .seconds = seconds};
			struct bench_result r;

			ret = bench_cell(&c, pre.db, prefill, &r);
			if (ret == 0)
				bench_row(&c, &r);
		}
	}
	for (int full = 1; full >= 0 && ret == 0; full--) {
		for (size_t i = 0; i < sizeof(renew_batches) / sizeof(renew_batches[0]) && ret == 0;
		     i++) {
			struct bench_cell c = {.full = full,
			                       .batch = renew_batches[i],
			                       .work = BENCH_RENEW,
			                       .seconds = seconds};
			struct bench_result r;

			ret = bench_cell(&c, pre.db, prefill, &r);
			if (ret == 0)
				bench_row(&c, &r);
		}
	}
	if (ret == 0)
		ret = bench_schema_cost(pre.db, prefill, seconds);
	bench_dir_remove(&pre);
	if (ret != 0) {
		fprintf(stderr, "bench_lease_store: cell failed\n");
		return 1;
	}

	printf("\nmaintenance under load: %d changes/s (FULL, batch_max 256, batch_usec 200)\n"
	       "while the writer expires and prunes a backlog of leases that ended 59 days ago;\n"
	       "latency from submit to completion, and how long the backlog took to go\n\n",
	       BENCH_MAINT_RATE);
	printf("| backlog | changes | p50 ms | p99 ms | max ms | expired |  pruned | drained  |\n");
	printf("|--------:|--------:|-------:|-------:|-------:|--------:|--------:|---------:|\n");
	if (bench_maint(0, BENCH_MAINT_RATE, 3 * seconds) != 0 ||
	    bench_maint(BENCH_MAINT_BACKLOG, BENCH_MAINT_RATE, 60) != 0) {
		fprintf(stderr, "bench_lease_store: maintenance run failed\n");
		return 1;
	}
	return 0;
}
