/*
 * Lease events: every change that alters a row records its event in the same transaction
 * (and none when it changes nothing or its transaction fails), and the reader's history
 * answers "which events" and "who held it at time T" by address and by hardware address.
 * Retention prunes old events but never the end of a binding whose start it keeps.
 * Only the events that start a binding go into the index by hardware address; a MAC's
 * history is still every event of that MAC, renewals in place and ends included, also
 * once retention has pruned the start of a binding that goes on.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "lease-store/lease_read.h"
#include "lease-store/lease_store.h"
#include "lease_test_util.h"

/* Far ahead of the real clock, so that the writer's expiry sweep leaves these alone. */
#define B     INT64_C(4000000000)
#define ADDR  0x0a000014u /* 10.0.0.20 */
#define ADDR2 0x0a000015u

static const uint8_t mac1[6] = {0x02, 0, 0, 0, 0x11, 0x01};
static const uint8_t mac2[6] = {0x02, 0, 0, 0, 0x22, 0x01};

struct fixture {
	struct lease_test_dir dir;
	uint32_t acme;
	uint32_t other;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct lease_store_params p;
	struct lease_store *s;

	lease_test_dir_make(&f->dir);
	p = lease_test_params(f->dir.db);
	s = lease_test_open(&p);
	assert_int_equal(lease_store_tenant_id(s, "acme", &f->acme), 0);
	assert_int_equal(lease_store_tenant_id(s, "other", &f->other), 0);
	lease_store_close(s);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	lease_test_dir_remove(&f->dir);
	free(f);
	return 0;
}

/* A change at time @t: a binding of @mac lasting @len seconds, or a state change. */
static struct lease_change at(enum lease_op op, uint32_t tenant, uint32_t addr, const uint8_t *mac,
                              int64_t t, int64_t len)
{
	struct lease_change ch = lease_test_change(op, tenant, addr, t + len);

	ch.rec.start_time = t;
	ch.rec.cltt = t;
	if (mac != NULL)
		memcpy(ch.rec.hwaddr, mac, 6);
	if (op != LEASE_OP_BIND && op != LEASE_OP_RENEW) {
		/* What the engine sends: the key and the times only. */
		memset(&ch.rec, 0, sizeof(ch.rec));
		ch.rec.tenant_id = tenant;
		ch.rec.address = addr;
		ch.rec.end_time = t;
		ch.rec.cltt = t;
	}
	return ch;
}

struct seen {
	size_t n;
	struct lease_event ev[16];
};

static int collect(void *ctx, const struct lease_event *ev)
{
	struct seen *s = ctx;

	assert_true(s->n < 16);
	s->ev[s->n++] = *ev;
	return 0;
}

static struct lease_reader *reader(const char *path)
{
	char err[512] = "";
	struct lease_reader *rd = lease_reader_open(path, err, sizeof(err));

	if (rd == NULL)
		fail_msg("lease_reader_open: %s", err);
	return rd;
}

/* The history of @addr (or of @mac when not NULL) in @tenant, at @t when @t != 0. */
static int history(struct lease_reader *rd, const char *tenant, uint32_t addr, const uint8_t *mac,
                   int64_t t, struct seen *out)
{
	struct lease_history_query q = {.tenant = tenant, .address = addr};

	if (mac != NULL) {
		q.by_hwaddr = true;
		q.hwlen = 6;
		memcpy(q.hwaddr, mac, 6);
	}
	if (t != 0) {
		q.at_set = true;
		q.at = t;
	}
	memset(out, 0, sizeof(*out));
	return lease_reader_history(rd, &q, collect, out);
}

/*
 * 10.0.0.20: bound to mac1 at B for an hour, renewed at B+1800, released at B+2000, bound
 * to mac2 at B+3000 until B+6600, expired at B+7000. 10.0.0.21: bound to mac1 at B+100,
 * declined at B+200. Plus changes that change nothing: a late EXPIRE of 10.0.0.20 and a
 * RELEASE of an address that was never bound.
 */
static void fill(struct fixture *f)
{
	struct lease_store_params p = lease_test_params(f->dir.db);
	struct lease_store *s = lease_test_open(&p);
	struct lease_change ch[] = {
	    at(LEASE_OP_BIND, f->acme, ADDR, mac1, B, 3600),
	    at(LEASE_OP_BIND, f->acme, ADDR2, mac1, B + 100, 3600),
	    at(LEASE_OP_DECLINE, f->acme, ADDR2, NULL, B + 200, 0),
	    at(LEASE_OP_RENEW, f->acme, ADDR, mac1, B + 1800, 3600),
	    at(LEASE_OP_RELEASE, f->acme, ADDR, NULL, B + 2000, 0),
	    at(LEASE_OP_BIND, f->acme, ADDR, mac2, B + 3000, 3600),
	    at(LEASE_OP_EXPIRE, f->acme, ADDR, NULL, B + 7000, 0),
	    at(LEASE_OP_EXPIRE, f->acme, ADDR, NULL, B + 7100, 0),
	    at(LEASE_OP_RELEASE, f->acme, 0x0a0000ff, NULL, B + 7200, 0),
	};
	struct lease_store_stats st;

	/* The release of 10.0.0.20 names the relay it was bound through. */
	ch[0].rec.giaddr = 0xc0a80101;
	ch[3].rec.giaddr = 0xc0a80101;
	assert_int_equal(lease_store_start(s), 0);
	lease_test_commit(s, ch, sizeof(ch) / sizeof(ch[0]));
	lease_store_get_stats(s, &st);
	assert_int_equal(st.committed, 9);
	assert_int_equal(st.events, 7);
	lease_store_close(s);
}

static void test_changes_record_events(void **state)
{
	struct fixture *f = *state;

	fill(f);
	sqlite3 *db = lease_test_sql_open(f->dir.db);

	assert_int_equal(lease_test_sql_int(db, "SELECT count(*) FROM lease_events"), 7);
	/* Nothing for the no-op changes: no second expiry, nothing for 10.0.0.255. */
	assert_int_equal(lease_test_sql_int(db, "SELECT count(*) FROM lease_events WHERE kind = 5"),
	                 1);
	assert_int_equal(lease_test_sql_int(db, "SELECT count(*) FROM lease_events WHERE address"
	                                        " = 167772415"),
	                 0);
	/* The row ended as the last real change left it. */
	assert_int_equal(lease_test_sql_int(db, "SELECT state FROM leases WHERE address ="
	                                        " 167772180"),
	                 LEASE_STATE_EXPIRED);
	sqlite3_close(db);

	struct lease_reader *rd = reader(f->dir.db);
	struct seen s;
	static const enum lease_event_kind kinds[] = {LEASE_EVENT_BIND, LEASE_EVENT_RENEW,
	                                              LEASE_EVENT_RELEASE, LEASE_EVENT_BIND,
	                                              LEASE_EVENT_EXPIRE};
	static const int64_t times[] = {B, B + 1800, B + 2000, B + 3000, B + 7000};

	assert_int_equal(history(rd, "acme", ADDR, NULL, 0, &s), 0);
	assert_int_equal(s.n, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(s.ev[i].kind, kinds[i]);
		assert_int_equal(s.ev[i].time, times[i]);
		assert_int_equal(s.ev[i].rec.address, ADDR);
		assert_int_equal(s.ev[i].rec.hwlen, 6);
		/* Every event names its client, the ends of bindings too. */
		assert_memory_equal(s.ev[i].rec.hwaddr, i < 3 ? mac1 : mac2, 6);
	}
	assert_int_equal(s.ev[1].rec.end_time, B + 5400);
	/* The release: the client and relay of the binding, the state and time it ended. */
	assert_int_equal(s.ev[2].rec.state, LEASE_STATE_RELEASED);
	assert_int_equal(s.ev[2].rec.giaddr, 0xc0a80101);
	assert_int_equal(s.ev[2].rec.end_time, B + 2000);
	assert_int_equal(s.ev[4].rec.state, LEASE_STATE_EXPIRED);

	/* By hardware address: both of mac1's addresses, in time order. */
	assert_int_equal(history(rd, "acme", 0, mac1, 0, &s), 0);
	assert_int_equal(s.n, 5);
	assert_int_equal(s.ev[0].rec.address, ADDR);
	assert_int_equal(s.ev[1].rec.address, ADDR2);
	assert_int_equal(s.ev[2].kind, LEASE_EVENT_DECLINE);
	assert_int_equal(s.ev[2].rec.state, LEASE_STATE_DECLINED);
	assert_int_equal(s.ev[4].kind, LEASE_EVENT_RELEASE);

	/* Tenants do not share histories, and unknown names are errors, not empty answers. */
	assert_int_equal(history(rd, "other", ADDR, NULL, 0, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(history(rd, "nosuch", ADDR, NULL, 0, &s), -ENOENT);
	struct lease_history_query bad = {.tenant = "acme", .by_hwaddr = true, .hwlen = 0};

	assert_int_equal(lease_reader_history(rd, &bad, collect, &s), -EINVAL);
	bad.hwlen = LEASE_HWADDR_MAX + 1;
	assert_int_equal(lease_reader_history(rd, &bad, collect, &s), -EINVAL);
	bad.tenant = NULL;
	assert_int_equal(lease_reader_history(rd, &bad, collect, &s), -EINVAL);
	lease_reader_close(rd);
}

/* Who held ADDR at @t: the hardware address's second-to-last byte, or 0 for nobody. */
static int holder(struct lease_reader *rd, int64_t t)
{
	struct seen s;

	assert_int_equal(history(rd, "acme", ADDR, NULL, t, &s), 0);
	assert_true(s.n <= 1);
	return s.n == 0 ? 0 : s.ev[0].rec.hwaddr[4];
}

static void test_who_held_it_at(void **state)
{
	struct fixture *f = *state;

	fill(f);
	struct lease_reader *rd = reader(f->dir.db);
	struct seen s;

	assert_int_equal(holder(rd, B - 1), 0);       /* before anyone */
	assert_int_equal(holder(rd, B), 0x11);        /* from the moment it was bound */
	assert_int_equal(holder(rd, B + 1900), 0x11); /* renewed */
	assert_int_equal(holder(rd, B + 1999), 0x11); /* the second before the release */
	assert_int_equal(holder(rd, B + 2000), 0);    /* released */
	assert_int_equal(holder(rd, B + 2999), 0);    /* free */
	assert_int_equal(holder(rd, B + 3000), 0x22); /* the next client */
	assert_int_equal(holder(rd, B + 6599), 0x22); /* until its lease ran out */
	assert_int_equal(holder(rd, B + 6600), 0);    /* ran out before its EXPIRE event */
	assert_int_equal(holder(rd, B + 100000), 0);  /* long after */
	/* The binding event in force is the latest: the renewal, with its new end. */
	assert_int_equal(history(rd, "acme", ADDR, NULL, B + 1900, &s), 0);
	assert_int_equal(s.ev[0].kind, LEASE_EVENT_RENEW);
	assert_int_equal(s.ev[0].rec.end_time, B + 5400);

	/* By hardware address: the addresses mac1 held. */
	assert_int_equal(history(rd, "acme", 0, mac1, B + 150, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ev[0].rec.address, ADDR);
	assert_int_equal(s.ev[1].rec.address, ADDR2);
	assert_int_equal(history(rd, "acme", 0, mac1, B + 250, &s), 0);
	assert_int_equal(s.n, 1); /* 10.0.0.21 was declined */
	assert_int_equal(s.ev[0].rec.address, ADDR);
	assert_int_equal(history(rd, "acme", 0, mac1, B + 2500, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(history(rd, "acme", 0, mac2, B + 3500, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ev[0].rec.address, ADDR);
	lease_reader_close(rd);
}

static void test_failed_commit_records_no_event(void **state)
{
	struct fixture *f = *state;
	struct lease_store_params p = lease_test_params(f->dir.db);
	struct lease_store *s = lease_test_open(&p);
	struct lease_change ch = at(LEASE_OP_BIND, f->acme, ADDR, mac1, B, 3600);
	struct lease_completion done;
	sqlite3 *blocker = lease_test_sql_open(f->dir.db);

	assert_int_equal(lease_store_start(s), 0);
	assert_int_equal(sqlite3_exec(blocker, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(lease_store_submit(s, &ch), 0);
	assert_int_equal(lease_test_poll(s, 0, &done, 1, 5000), 1);
	assert_int_equal(done.status, -EBUSY);
	assert_int_equal(sqlite3_exec(blocker, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(lease_test_sql_int(blocker, "SELECT count(*) FROM lease_events"), 0);
	assert_int_equal(lease_test_sql_int(blocker, "SELECT count(*) FROM leases"), 0);

	/* The retry commits the row and its one event together. */
	assert_int_equal(lease_store_submit(s, &ch), 0);
	assert_int_equal(lease_test_poll(s, 0, &done, 1, 5000), 1);
	assert_int_equal(done.status, 0);
	assert_int_equal(lease_test_sql_int(blocker, "SELECT count(*) FROM lease_events"), 1);
	assert_int_equal(lease_test_sql_int(blocker, "SELECT count(*) FROM leases"), 1);
	sqlite3_close(blocker);
	lease_store_close(s);
}

/* The number of events of @addr in the database at @path. */
static int64_t events_of(const char *path, uint32_t addr)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM lease_events WHERE address = %u", addr);
	return lease_test_path_int(path, sql);
}

/*
 * A store that keeps events for a day and runs its maintenance every 20 ms, with the real
 * clock: the changes given to it are from the last days.
 */
static struct lease_store *retention_store(struct fixture *f)
{
	struct lease_store_params p = lease_test_params(f->dir.db);

	p.events_retention_days = 1;
	p.maint_interval_ms = 20;
	return lease_test_open(&p);
}

/* Commits @n changes @ch, waits until @expired leases ran out and @pruned events went. */
static void retention_run(struct lease_store *s, struct lease_change *ch, size_t n,
                          uint64_t expired, uint64_t pruned, struct lease_store_stats *st)
{
	assert_int_equal(lease_store_start(s), 0);
	lease_test_commit(s, ch, n);
	for (int i = 0; i < 5000; i++) {
		lease_store_get_stats(s, st);
		if (st->expired >= expired && st->pruned >= pruned)
			break;
		lease_test_sleep_ms(1);
	}
	lease_store_close(s);
}

static void test_retention_prunes_but_keeps_bindings_whole(void **state)
{
	struct fixture *f = *state;
	const int64_t day = 86400, now = (int64_t)time(NULL);
	struct lease_store_stats st;
	struct lease_store *s = retention_store(f);
	struct lease_change ch[] = {
	    /* 10.0.0.1: a short lease five days ago: it ran out (the sweep ends it). */
	    at(LEASE_OP_BIND, f->acme, 0x0a000001, mac1, now - 5 * day, day),
	    /* 10.0.0.2: a month-long lease bound five days ago, still running. */
	    at(LEASE_OP_BIND, f->acme, 0x0a000002, mac1, now - 5 * day, 30 * day),
	    /* 10.0.0.3: the same, but released three days ago. */
	    at(LEASE_OP_BIND, f->acme, 0x0a000003, mac2, now - 5 * day, 30 * day),
	    at(LEASE_OP_RELEASE, f->acme, 0x0a000003, NULL, now - 3 * day, 0),
	    /* 10.0.0.4: bound two hours ago. */
	    at(LEASE_OP_BIND, f->acme, 0x0a000004, mac2, now - 7200, 3 * 3600),
	};

	retention_run(s, ch, sizeof(ch) / sizeof(ch[0]), 1, 2, &st);
	assert_int_equal(st.expired, 1);
	/* 10.0.0.1's bind and its expiry (dated at its end, four days ago) are gone. */
	assert_int_equal(st.pruned, 2);
	assert_int_equal(events_of(f->dir.db, 0x0a000001), 0);
	/* A long binding keeps its start, and the release that ended one is kept with it. */
	assert_int_equal(events_of(f->dir.db, 0x0a000002), 1);
	assert_int_equal(events_of(f->dir.db, 0x0a000003), 2);
	assert_int_equal(events_of(f->dir.db, 0x0a000004), 1);

	struct lease_reader *rd = reader(f->dir.db);
	struct seen seen;
	int64_t cutoff = 0;

	/* 10.0.0.3 is still known as released, not as held since five days. */
	assert_int_equal(history(rd, "acme", 0x0a000003, NULL, now - 4 * day, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(history(rd, "acme", 0x0a000003, NULL, now, &seen), 0);
	assert_int_equal(seen.n, 0);
	assert_int_equal(history(rd, "acme", 0x0a000002, NULL, now, &seen), 0);
	assert_int_equal(seen.n, 1);
	/* Readers learn from when on the history is complete. */
	assert_int_equal(lease_reader_history_cutoff(rd, &cutoff), 0);
	assert_true(cutoff >= now - day && cutoff <= now - day + 60);
	lease_reader_close(rd);
}

static void test_only_starts_are_indexed_by_hwaddr(void **state)
{
	struct fixture *f = *state;

	fill(f);
	/*
	 * fill's starts: the binds of 10.0.0.20 (mac1, then mac2) and of 10.0.0.21. The renewal
	 * in place, the release, the decline and the expiry name the row's own client.
	 */
	assert_int_equal(lease_test_path_int(f->dir.db, "SELECT count(*) FROM lease_events"
	                                                " WHERE starts_binding = 1 AND kind = 1"),
	                 3);
	assert_int_equal(lease_test_path_int(f->dir.db, "SELECT count(*) FROM lease_events"
	                                                " WHERE starts_binding = 0"),
	                 4);

	/* A RENEW of a row that names another client rewrites it: it starts a binding. */
	struct lease_store_params p = lease_test_params(f->dir.db);
	struct lease_store *s = lease_test_open(&p);
	struct lease_change ch[] = {
	    at(LEASE_OP_RENEW, f->acme, ADDR2, mac2, B + 8000, 3600),
	    at(LEASE_OP_RENEW, f->acme, ADDR2, mac2, B + 9000, 3600),
	};

	assert_int_equal(lease_store_start(s), 0);
	lease_test_commit(s, ch, 2);
	lease_store_close(s);
	assert_int_equal(lease_test_path_int(f->dir.db,
	                                     "SELECT count(*) FROM lease_events WHERE kind = 2"
	                                     " AND starts_binding = 1"),
	                 1);

	/* mac2's history: its binding of 10.0.0.20 whole, then its two renewals of 10.0.0.21. */
	struct lease_reader *rd = reader(f->dir.db);
	struct seen seen;

	assert_int_equal(history(rd, "acme", 0, mac2, 0, &seen), 0);
	assert_int_equal(seen.n, 4);
	assert_int_equal(seen.ev[0].kind, LEASE_EVENT_BIND);
	assert_int_equal(seen.ev[1].kind, LEASE_EVENT_EXPIRE);
	assert_int_equal(seen.ev[1].rec.address, ADDR);
	assert_int_equal(seen.ev[2].rec.address, ADDR2);
	assert_int_equal(seen.ev[3].time, B + 9000);
	/* mac1's is unchanged: the renewals by mac2 do not belong to it. */
	assert_int_equal(history(rd, "acme", 0, mac1, 0, &seen), 0);
	assert_int_equal(seen.n, 5);
	assert_int_equal(history(rd, "acme", 0, mac2, B + 9500, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.ev[0].rec.address, ADDR2);
	lease_reader_close(rd);
}

static void test_pruned_start_hands_on_to_the_binding(void **state)
{
	struct fixture *f = *state;
	const int64_t day = 86400, now = (int64_t)time(NULL);
	struct lease_store_stats st;
	struct lease_store *s = retention_store(f);
	struct lease_change ch[] = {
	    /* 10.0.0.5: a day's lease six days ago, renewed for a month, then again. */
	    at(LEASE_OP_BIND, f->acme, 0x0a000005, mac1, now - 6 * day, day),
	    at(LEASE_OP_RENEW, f->acme, 0x0a000005, mac1, now - 5 * day - day / 2, 30 * day),
	    at(LEASE_OP_RENEW, f->acme, 0x0a000005, mac1, now - 2 * day, 30 * day),
	    /* 10.0.0.6: the start and the next event both past retention, the third not. */
	    at(LEASE_OP_BIND, f->acme, 0x0a000006, mac2, now - 6 * day, day),
	    at(LEASE_OP_RENEW, f->acme, 0x0a000006, mac2, now - 6 * day + 3600, day),
	    at(LEASE_OP_RENEW, f->acme, 0x0a000006, mac2, now - 6 * day + 7200, 30 * day),
	};

	retention_run(s, ch, sizeof(ch) / sizeof(ch[0]), 0, 3, &st);
	assert_int_equal(st.pruned, 3);
	assert_int_equal(events_of(f->dir.db, 0x0a000005), 2);
	assert_int_equal(events_of(f->dir.db, 0x0a000006), 1);
	/* The first event left of each binding is its start now. */
	assert_int_equal(lease_test_path_int(f->dir.db, "SELECT count(*) FROM lease_events"
	                                                " WHERE starts_binding = 1 AND kind = 2"),
	                 2);

	struct lease_reader *rd = reader(f->dir.db);
	struct seen seen;

	assert_int_equal(history(rd, "acme", 0, mac1, 0, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.ev[1].time, now - 2 * day);
	assert_int_equal(history(rd, "acme", 0, mac1, now, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.ev[0].rec.address, 0x0a000005);
	assert_int_equal(history(rd, "acme", 0, mac2, 0, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.ev[0].time, now - 6 * day + 7200);
	lease_reader_close(rd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_changes_record_events, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_who_held_it_at, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failed_commit_records_no_event, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_only_starts_are_indexed_by_hwaddr, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_pruned_start_hands_on_to_the_binding, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_retention_prunes_but_keeps_bindings_whole, setup,
	                                    teardown),
	};

	return cmocka_run_group_tests_name("lease_history", tests, NULL, NULL);
}
