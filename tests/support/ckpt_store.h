/* tests/support/ckpt_store.h - the checkpoint store's tests
 * (tests/unit/engine_checkpoint.c, engine_checkpoint_recovery.c): a
 * temporary directory per test with the checkpoint "cp" inside it, a
 * plan, and the epoch log those tests write and check (epoch e's end
 * offset in partition p is (e + 1) * 100 + p). Compiled once into
 * build/libsltest.a. */
#ifndef SL_TEST_CKPT_STORE_H
#define SL_TEST_CKPT_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/checkpoint.h"

/* The plan text the tests open the checkpoint with. */
extern const char sl_test_ckpt_plan[];

/* Partitions of the log's one source, "0:rate". */
#define SL_TEST_CKPT_NPART 3

/* The test's temporary directory: made by sl_test_ckpt_dir_make (the
 * suite's .init), removed by sl_test_ckpt_dir_remove (.fini). */
const char *sl_test_ckpt_dir(void);
void sl_test_ckpt_dir_make(void);
void sl_test_ckpt_dir_remove(void);

/* The checkpoint's path inside the directory, or that of sub below it
 * (sub NULL: the checkpoint itself). One of four rotating buffers. */
char *sl_test_ckpt_path(const char *sub);
/* Opens the checkpoint as query id with sl_test_ckpt_plan; fails the
 * test if it cannot. */
sl_ckpt *sl_test_ckpt_open(const char *id);

/* End offset of partition p after epoch e (e < 0: before any). */
int64_t sl_test_ckpt_end_of(int64_t e, int p);
/* Epoch e of the log as sl_ckpt_write_offsets takes it (o), its one
 * source's blob a list of one file, "f<e>". o points into the struct. */
typedef struct sl_test_ckpt_epoch {
	sl_ckpt_part parts[SL_TEST_CKPT_NPART];
	char blob[64];
	sl_ckpt_source src;
	sl_ckpt_offsets o;
} sl_test_ckpt_epoch;
/* Fills ep with epoch e; asserts nothing (a crash test's child uses it). */
void sl_test_ckpt_epoch_fill(sl_test_ckpt_epoch *ep, int64_t e);
/* Writes offsets/e of the log (and commits/e when commit). */
void sl_test_ckpt_write_epoch(sl_ckpt *c, int64_t e, bool commit);
/* Asserts that o is epoch e of the log. */
void sl_test_ckpt_check_offsets(const sl_ckpt_offsets *o, int64_t e);
/* sl_ckpt_recover, failing the test on an error. */
void sl_test_ckpt_recover(sl_ckpt *c, sl_ckpt_recovery *r);

#endif
