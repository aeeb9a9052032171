/* tests/support/kafka_group.c - a consumer group's assignment from the
 * broker (tests/support/kafka_group.h). */
#include <criterion/criterion.h>
#include <librdkafka/rdkafka.h>
#include <string.h>

#include "tests/support/kafka.h"
#include "tests/support/kafka_group.h"

/* The members' partitions of topic into owner[]; returns the count. */
static int group_members(const rd_kafka_ConsumerGroupDescription_t *g,
			 const char *topic, int nparts,
			 const char *const *ids, int nids, int *owner)
{
	int members = (int)rd_kafka_ConsumerGroupDescription_member_count(g);

	for (int i = 0; i < members; i++) {
		const rd_kafka_MemberDescription_t *md =
			rd_kafka_ConsumerGroupDescription_member(g, i);
		const char *cid = rd_kafka_MemberDescription_client_id(md);
		const rd_kafka_topic_partition_list_t *l =
			rd_kafka_MemberAssignment_partitions(
				rd_kafka_MemberDescription_assignment(md));
		int who = -1;

		for (int k = 0; k < nids; k++)
			if (!strcmp(cid, ids[k]))
				who = k;
		cr_assert_geq(who, 0, "an unknown member '%s'", cid);
		for (int e = 0; l && e < l->cnt; e++) {
			int p = l->elems[e].partition;

			if (strcmp(l->elems[e].topic, topic) || p < 0 ||
			    p >= nparts)
				continue;
			cr_assert_eq(owner[p], -1,
				     "partition %d is assigned twice", p);
			owner[p] = who;
		}
	}
	return members;
}

int sl_test_kafka_group_owners(const char *group, const char *topic,
			       int nparts, const char *const *ids, int nids,
			       int *owner)
{
	rd_kafka_t *rk = sl_test_kafka_client_new(RD_KAFKA_PRODUCER,
						  sl_test_kafka_conf_new());
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	const char *groups[] = { group };
	int members = -1;
	char errstr[256];

	for (int p = 0; p < nparts; p++)
		owner[p] = -1;
	/* A short request timeout: a look that gets no answer is simply
	 * taken again (the caller's loop bounds the whole wait). */
	rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(
		rk, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS);
	cr_assert_eq(rd_kafka_AdminOptions_set_request_timeout(
			     o, 3000, errstr, sizeof(errstr)),
		     0, "%s", errstr);
	rd_kafka_DescribeConsumerGroups(rk, groups, 1, o, q);
	rd_kafka_AdminOptions_destroy(o);
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 10000);
	const rd_kafka_DescribeConsumerGroups_result_t *res =
		ev ? rd_kafka_event_DescribeConsumerGroups_result(ev) : NULL;
	size_t cnt = 0;
	const rd_kafka_ConsumerGroupDescription_t **g =
		res && !rd_kafka_event_error(ev)
			? rd_kafka_DescribeConsumerGroups_result_groups(res,
									&cnt)
			: NULL;

	if (g && cnt == 1 && !rd_kafka_ConsumerGroupDescription_error(g[0]) &&
	    rd_kafka_ConsumerGroupDescription_state(g[0]) ==
		    RD_KAFKA_CONSUMER_GROUP_STATE_STABLE)
		members = group_members(g[0], topic, nparts, ids, nids, owner);
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
	return members;
}
