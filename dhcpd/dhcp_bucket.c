/*
 * The token bucket of dhcp_bucket.h.
 */
#include "dhcp_bucket.h"

void dhcp_bucket_set(struct dhcp_bucket *b, uint32_t rate, uint32_t burst, uint64_t now_ns,
                     bool keep_tokens)
{
	uint64_t tokens = b->tokens;

	b->rate = rate;
	if (rate == 0) {
		b->cap = 0;
		b->tokens = 0;
		b->last_ns = now_ns;
		return;
	}
	/* A burst below one message would refuse everything: one message is the least. */
	b->cap = (uint64_t)(burst ? burst : rate) * DHCP_BUCKET_UNIT;
	if (!keep_tokens || b->last_ns == 0)
		tokens = b->cap;
	b->tokens = tokens < b->cap ? tokens : b->cap;
	b->last_ns = now_ns;
}

bool dhcp_bucket_take(struct dhcp_bucket *b, uint64_t now_ns)
{
	if (b->rate == 0)
		return true;
	if (now_ns > b->last_ns) {
		uint64_t elapsed = now_ns - b->last_ns;
		uint64_t room = b->cap - b->tokens;

		/*
		 * elapsed * rate is the refill in 1/1e9 tokens. Compare without overflowing:
		 * a gap long enough to fill the bucket simply fills it.
		 */
		if (elapsed >= room / b->rate + 1)
			b->tokens = b->cap;
		else
			b->tokens += elapsed * b->rate;
		b->last_ns = now_ns;
	}
	if (b->tokens < DHCP_BUCKET_UNIT)
		return false;
	b->tokens -= DHCP_BUCKET_UNIT;
	return true;
}
