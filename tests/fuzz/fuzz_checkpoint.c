/* tests/fuzz/fuzz_checkpoint.c - libFuzzer target: the checkpoint readers
 * (engine/checkpoint.c, ckpt_log.c, ckpt_file.c) on a damaged checkpoint.
 * Each input starts a checkpoint with two committed epochs and an
 * in-flight one, then puts its bytes in one of its files (the first byte
 * says which, and whether the bytes get a valid checksum line, as a file
 * sluice did not write but that passes the check, or are written raw, as
 * a torn or foreign file), reopens the checkpoint and recovers it. Every
 * outcome must be a recovery or an error with a message; a recovered
 * epoch's partitions must have start <= end. */
#include "engine/checkpoint.h"
#include "tests/fuzz/fuzz.h"

static const char *const PLAN = "source = rate\nsink = memory\n";

static void write_epoch(sl_ckpt *c, int64_t e, bool commit)
{
	sl_ckpt_part parts[2] = { { 0, e * 10, e * 10 + 10 },
				  { 1, e * 7, e * 7 + 7 } };
	sl_ckpt_source src = { "0:rate", 2, parts, e == 1 ? "{\"f\":[1]}" : NULL };
	sl_ckpt_offsets o = { .watermark_us = e, .nsources = 1,
			      .sources = &src };
	sl_err err = { 0 };

	FUZZ_CHECK(sl_ckpt_write_offsets(c, e, &o, &err) == 0, "%s", err.msg);
	if (commit)
		FUZZ_CHECK(sl_ckpt_commit(c, e, &err) == 0, "%s", err.msg);
}

static void check_offsets(const sl_ckpt_offsets *o)
{
	for (uint32_t i = 0; i < o->nsources; i++) {
		FUZZ_CHECK(o->sources[i].name, "source %u has no name", i);
		for (uint32_t k = 0; k < o->sources[i].nparts; k++)
			FUZZ_CHECK(o->sources[i].parts[k].start <=
					   o->sources[i].parts[k].end,
				   "recovered a partition with end < start");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const files[][2] = {
		{ "offsets", "1" }, { "offsets", "2" }, { "commits", "1" },
		{ "commits", "2" }, { ".", "metadata" }, { "sources/0:rate", "k" },
		{ "offsets", "0" }, { "commits", "0" },
	};
	char dir[256], sub[512];
	uint8_t k = size ? data[0] : 0;
	const char *const *f = files[k % 8];
	sl_ckpt *c = NULL;
	sl_ckpt_recovery r;
	sl_err err = { 0 };
	char *blob = NULL;
	int rc;

	if (size > 65536)
		return 0;
	data++, size = size ? size - 1 : 0;
	snprintf(dir, sizeof(dir), "%s/ck", fuzz_dir());
	fuzz_rmtree(dir);
	FUZZ_CHECK(sl_ckpt_open(dir, "q", NULL, PLAN, &c, &err) == 0, "%s",
		   err.msg);
	write_epoch(c, 0, true);
	write_epoch(c, 1, true);
	write_epoch(c, 2, false);
	FUZZ_CHECK(sl_ckpt_put_source(c, "0:rate", "k", "{\"n\":1}", &err) == 0,
		   "%s", err.msg);
	sl_ckpt_close(c);
	c = NULL;

	snprintf(sub, sizeof(sub), "%s/%s", dir, f[0]);
	if (k & 0x80) {
		char path[600];

		snprintf(path, sizeof(path), "%s/%s", sub, f[1]);
		fuzz_write(path, data, size);
	} else {
		int fd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		FUZZ_CHECK(fd >= 0, "open %s", sub);
		FUZZ_CHECK(sl_ckpt_file_write(fd, sub, f[1], (const char *)data,
					      size, &err) == 0,
			   "%s", err.msg);
		close(fd);
	}

	rc = sl_ckpt_open(dir, "q", NULL, PLAN, &c, &err);
	if (rc < 0) {
		FUZZ_CHECK(err.msg[0], "open failed without a message");
		return 0;
	}
	rc = sl_ckpt_recover(c, &r, &err);
	if (rc < 0) {
		FUZZ_CHECK(err.msg[0], "recovery failed without a message");
	} else {
		FUZZ_CHECK(r.next_epoch == r.epoch + 1, "next epoch %lld after "
							"%lld",
			   (long long)r.next_epoch, (long long)r.epoch);
		if (r.committed)
			check_offsets(&r.offsets);
		if (r.in_flight)
			check_offsets(&r.in_flight_offsets);
	}
	/* Freed after a failure too, as the engine does. */
	sl_ckpt_recovery_free(&r);
	rc = sl_ckpt_get_source(c, "0:rate", "k", &blob, &err);
	FUZZ_CHECK(rc == 0 || err.msg[0], "source blob failed without a message");
	free(blob);
	sl_ckpt_close(c);
	return 0;
}
