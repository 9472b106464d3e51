/*
 * The submission queue (bounded multi-producer, Vyukov) and the completion rings with
 * their credits, on their own: capacity, order, full and empty, wrap-around, and many
 * producers racing one consumer.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lease-store/lease_queue.h"

static struct lease_change change(uint16_t owner, uint32_t cookie)
{
	struct lease_change c;

	memset(&c, 0, sizeof(c));
	c.op = LEASE_OP_BIND;
	c.owner = owner;
	c.cookie = cookie;
	c.rec.address = cookie ^ 0x5a5a5a5a;
	return c;
}

static void test_capacity_rounds_up(void **state)
{
	(void)state;
	assert_int_equal(lease_queue_capacity(0), 2);
	assert_int_equal(lease_queue_capacity(1), 2);
	assert_int_equal(lease_queue_capacity(3), 4);
	assert_int_equal(lease_queue_capacity(1024), 1024);
	assert_int_equal(lease_queue_capacity(1025), 2048);
	assert_int_equal(lease_queue_capacity(LEASE_QUEUE_MAX), LEASE_QUEUE_MAX);
	assert_int_equal(lease_queue_capacity(LEASE_QUEUE_MAX + 1), 0);
}

static void test_sq_fifo_full_empty_wrap(void **state)
{
	struct lease_sq q;
	struct lease_change c, out;
	uint32_t next_in = 0, next_out = 0;

	(void)state;
	assert_int_equal(lease_sq_init(&q, 3), -EINVAL);
	assert_int_equal(lease_sq_init(&q, 8), 0);
	assert_false(lease_sq_ready(&q));
	assert_false(lease_sq_pop(&q, &out));
	/* Many rounds of fill and partial drain, so positions wrap the ring many times. */
	for (int round = 0; round < 50; round++) {
		while (true) {
			c = change(0, next_in);
			if (!lease_sq_push(&q, &c, NULL))
				break;
			next_in++;
		}
		assert_int_equal(next_in - next_out, 8);
		for (int i = 0; i < 3 + round % 5; i++) {
			assert_true(lease_sq_ready(&q));
			assert_true(lease_sq_pop(&q, &out));
			assert_int_equal(out.cookie, next_out);
			assert_int_equal(out.rec.address, next_out ^ 0x5a5a5a5a);
			next_out++;
		}
	}
	while (lease_sq_pop(&q, &out))
		assert_int_equal(out.cookie, next_out++);
	assert_int_equal(next_out, next_in);
	assert_int_equal(lease_sq_accepted(&q), next_in);
	lease_sq_fini(&q);
}

static void test_cq_ring_and_credits(void **state)
{
	struct lease_cq q;
	struct lease_completion c, out[8];

	(void)state;
	assert_int_equal(lease_cq_init(&q, 4), 0);
	assert_int_equal(lease_cq_pop(&q, out, 8), 0);
	for (uint32_t i = 0; i < 4; i++) {
		c = (struct lease_completion){.cookie = i, .status = -(int)i};
		assert_true(lease_cq_push(&q, &c));
	}
	assert_false(lease_cq_push(&q, &c));
	assert_int_equal(lease_cq_pop(&q, out, 3), 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(out[i].cookie, i);
		assert_int_equal(out[i].status, -i);
	}
	c.cookie = 10;
	assert_true(lease_cq_push(&q, &c));
	assert_int_equal(lease_cq_pop(&q, out, 8), 2);
	assert_int_equal(out[0].cookie, 3);
	assert_int_equal(out[1].cookie, 10);

	/* As many credits as slots, and they come back. */
	for (int i = 0; i < 4; i++)
		assert_true(lease_cq_take_credit(&q));
	assert_false(lease_cq_take_credit(&q));
	lease_cq_give_credits(&q, 2);
	assert_true(lease_cq_take_credit(&q));
	assert_true(lease_cq_take_credit(&q));
	assert_false(lease_cq_take_credit(&q));
	lease_cq_fini(&q);
}

enum { STRESS_PRODUCERS = 4, STRESS_PER = 50000 };

struct stress_producer {
	struct lease_sq *q;
	uint16_t id;
};

static void *stress_producer_main(void *arg)
{
	struct stress_producer *p = arg;

	for (uint32_t i = 0; i < STRESS_PER; i++) {
		struct lease_change c = change(p->id, i);

		/* Yield rather than spin: the test has more threads than the machine has cores. */
		while (!lease_sq_push(p->q, &c, NULL))
			sched_yield();
	}
	return NULL;
}

static void test_sq_many_producers_one_consumer(void **state)
{
	struct lease_sq q;
	struct stress_producer prod[STRESS_PRODUCERS];
	pthread_t th[STRESS_PRODUCERS];
	uint32_t next[STRESS_PRODUCERS] = {0};
	struct lease_change out;
	uint64_t got = 0;

	(void)state;
	assert_int_equal(lease_sq_init(&q, 64), 0);
	for (int i = 0; i < STRESS_PRODUCERS; i++) {
		prod[i] = (struct stress_producer){.q = &q, .id = (uint16_t)i};
		assert_int_equal(pthread_create(&th[i], NULL, stress_producer_main, &prod[i]), 0);
	}
	while (got < (uint64_t)STRESS_PRODUCERS * STRESS_PER) {
		if (!lease_sq_pop(&q, &out)) {
			sched_yield();
			continue;
		}
		/* Nothing lost, nothing twice, each producer's changes in its order, intact. */
		assert_true(out.owner < STRESS_PRODUCERS);
		assert_int_equal(out.cookie, next[out.owner]);
		assert_int_equal(out.rec.address, out.cookie ^ 0x5a5a5a5a);
		next[out.owner]++;
		got++;
	}
	for (int i = 0; i < STRESS_PRODUCERS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(next[i], STRESS_PER);
	}
	assert_false(lease_sq_pop(&q, &out));
	assert_int_equal(lease_sq_accepted(&q), (size_t)STRESS_PRODUCERS * STRESS_PER);
	lease_sq_fini(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_capacity_rounds_up),
	    cmocka_unit_test(test_sq_fifo_full_empty_wrap),
	    cmocka_unit_test(test_cq_ring_and_credits),
	    cmocka_unit_test(test_sq_many_producers_one_consumer),
	};

	return cmocka_run_group_tests_name("lease_queue", tests, NULL, NULL);
}
