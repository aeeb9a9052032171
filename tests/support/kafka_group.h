/* tests/support/kafka_group.h - who holds which partitions of a consumer
 * group, as the broker tells it (the admin API's DescribeConsumerGroups),
 * for the Kafka tests of partitionAssignment 'group' (tests/kafka/
 * scale_out.c, failover.c). Compiled once into build/libsltest.a. */
#ifndef SL_TEST_KAFKA_GROUP_H
#define SL_TEST_KAFKA_GROUP_H

/* The partitions 0..nparts-1 of `topic` that each member of `group`
 * holds, by client id: owner[p] is the index in ids[0..nids) of the
 * member holding p, -1 when none does. Returns the number of members, or
 * -1 while the group is not Stable (rebalancing) or the broker does not
 * answer within a few seconds. Fails the test on a member whose client id
 * is not in ids, or on a partition held twice. */
int sl_test_kafka_group_owners(const char *group, const char *topic,
			       int nparts, const char *const *ids, int nids,
			       int *owner);

#endif
