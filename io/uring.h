/* io/uring.h - the io_uring I/O layer: every read, write, fsync, open,
 * close, statx, rename, connect and receive that sluice itself does.
 *
 * One ring per thread, never shared: sl_uring_get() returns the calling
 * thread's ring, made on first use and torn down when the thread exits.
 * The helpers look synchronous (submit one SQE, wait for its CQE) because
 * each caller has one thing to do next anyway; where overlapping pays, a
 * batch form keeps several operations in flight (sl_uring_reader keeps
 * reads of a file ahead of its consumer, sl_uring_statx_many stats a
 * whole directory listing in one submit).
 *
 * When io_uring cannot be used (an old kernel: ENOSYS; seccomp or
 * kernel.io_uring_disabled: EPERM; memlock limits: ENOMEM) or the user
 * sets SLUICE_NO_URING=1, the ring falls back to plain system calls and
 * one warning naming the reason goes to stderr, once per process. A
 * kernel that has io_uring but lacks one operation (the probe says so)
 * gets that operation as a system call, silently.
 *
 * Every function returns >= 0 on success (a count or an fd) or -errno. */
#ifndef SL_IO_URING_H
#define SL_IO_URING_H

#include <fcntl.h>
#include <liburing.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Completion of one submitted operation. The CQE's user_data points at it,
 * so whichever wait reaps a CQE can deliver it to its owner: a
 * synchronous helper called while a reader has reads in flight cannot
 * swallow the reader's completions. */
typedef struct sl_uring_op {
	int res;   /* the CQE's result: >= 0 or -errno */
	bool done; /* the CQE has arrived */
} sl_uring_op;

typedef struct sl_uring {
	struct io_uring ring;
	bool fallback;	    /* plain system calls: io_uring is unavailable */
	int reason;	    /* why (errno of the failed setup), 0 if forced */
	uint64_t supported; /* bit n: opcode n works through the ring */
	unsigned inflight;  /* submitted, CQE not yet reaped */
	uint64_t nops;	    /* operations done through the ring */
	uint64_t nsys;	    /* operations done as plain system calls */
	/* The readers started on this ring and not yet stopped: when the
	 * ring goes (its thread exits) it drains and detaches them, so a
	 * reader another thread stops later touches no freed ring. */
	struct sl_uring_reader *readers;
} sl_uring;

/* Sets up r with room for `entries` SQEs. Never fails: if io_uring is
 * unavailable (or SLUICE_NO_URING=1 is set) r works in fallback mode and
 * the first such ring of the process prints one warning to stderr.
 * Returns 0 with io_uring active, 1 in fallback mode. */
int sl_uring_init(sl_uring *r, unsigned entries);
/* Waits for what is in flight, then releases the ring. */
void sl_uring_exit(sl_uring *r);

/* The calling thread's ring, made on first use; freed when the thread
 * exits. Never NULL (aborts only when out of memory). */
sl_uring *sl_uring_get(void);

/* true when operations go through io_uring, false in fallback mode. */
static inline bool sl_uring_active(const sl_uring *r)
{
	return !r->fallback;
}

/* Text naming why r is in fallback mode ("" when it is not). */
const char *sl_uring_reason(const sl_uring *r);

/* ---- one operation, waited for ---------------------------------------- */

/* Reads up to n bytes at offset off (pread). Short only at end of file. */
ssize_t sl_uring_pread(sl_uring *r, int fd, void *buf, size_t n, uint64_t off);
/* Writes all n bytes at off, or at the file position when off is -1
 * (then sockets, pipes and O_APPEND files work too). Loops over short
 * writes; returns n or -errno. */
ssize_t sl_uring_write(sl_uring *r, int fd, const void *buf, size_t n,
		       int64_t off);
int sl_uring_fsync(sl_uring *r, int fd, bool datasync);
int sl_uring_openat(sl_uring *r, int dfd, const char *path, int flags,
		    mode_t mode);
int sl_uring_close(sl_uring *r, int fd);
int sl_uring_statx(sl_uring *r, int dfd, const char *path, int flags,
		   unsigned mask, struct statx *st);
int sl_uring_renameat(sl_uring *r, int olddfd, const char *oldpath, int newdfd,
		      const char *newpath, unsigned flags);
int sl_uring_unlinkat(sl_uring *r, int dfd, const char *path, int flags);
int sl_uring_mkdirat(sl_uring *r, int dfd, const char *path, mode_t mode);
/* Connects fd (a blocking socket); gives up after timeout_ns (<= 0:
 * never) with -ETIMEDOUT. */
int sl_uring_connect(sl_uring *r, int fd, const struct sockaddr *sa,
		     socklen_t len, int64_t timeout_ns);
/* Receives up to n bytes. timeout_ns < 0 waits forever, 0 does not wait,
 * > 0 waits at most that long; nothing arrived in time gives -EAGAIN.
 * 0 means the peer closed the connection. */
ssize_t sl_uring_recv(sl_uring *r, int fd, void *buf, size_t n,
		      int64_t timeout_ns);
/* Sends all n bytes (loops over short sends); n or -errno. */
ssize_t sl_uring_send(sl_uring *r, int fd, const void *buf, size_t n);
/* Waits until fd is ready for `events` (POLLIN, ...), as poll(2) does
 * for one fd: its ready events (> 0), 0 when timeout_ns passed first, or
 * -errno. timeout_ns < 0 waits forever, 0 only looks. Made for waking a
 * thread on an eventfd (librdkafka's queue wake-up): the wait is an
 * io_uring POLL_ADD with a linked timeout, so it costs the thread one
 * io_uring_enter. A signal may end the wait early with 0. */
int sl_uring_poll_fd(sl_uring *r, int fd, short events, int64_t timeout_ns);

/* ---- batches ---------------------------------------------------------- */

/* statx of n names relative to dfd, submitted together and waited for
 * together: a directory scan costs one io_uring_enter per ring-full
 * instead of one syscall per file. res[i] gets 0 or -errno for names[i]. */
void sl_uring_statx_many(sl_uring *r, int dfd, const char *const *names,
			 size_t n, int flags, unsigned mask, struct statx *st,
			 int *res);

/* Reads of one file kept `depth` chunks ahead of the consumer, so the next
 * chunk is on its way while the caller parses this one. Used by one thread,
 * on that thread's ring. */
#define SL_READER_MAX_DEPTH 4

typedef struct sl_uring_reader {
	sl_uring *r; /* NULL once the ring is gone (detached) */
	struct sl_uring_reader *prev, *next; /* on r->readers */
	int fd;
	uint64_t end;	   /* read up to here (the size the file had) */
	uint64_t next_off; /* offset of the next read to submit */
	size_t chunk;
	unsigned depth;
	unsigned head; /* slot the consumer takes next */
	unsigned nq;   /* slots submitted and not yet consumed */
	bool held;     /* slot head is the caller's until the next call */
	bool eof;
	struct sl_reader_slot {
		sl_uring_op op;
		uint64_t off;
		size_t len;
		char *buf;
	} slot[SL_READER_MAX_DEPTH];
} sl_uring_reader;

/* Starts reading fd from offset 0 up to `end` bytes in chunks of `chunk`
 * bytes, `depth` (1..SL_READER_MAX_DEPTH) at a time. Returns 0 or
 * -ENOMEM. */
int sl_uring_reader_start(sl_uring_reader *rd, sl_uring *r, int fd,
			  uint64_t end, size_t chunk, unsigned depth);
/* The next chunk in file order: its length (> 0) and *data, valid until
 * the next call; 0 at the end (end reached, or the file is shorter than
 * it was); -errno on a read error. */
ssize_t sl_uring_reader_next(sl_uring_reader *rd, const char **data);
/* Waits for reads still in flight and frees the buffers; the caller
 * closes fd. Safe on a zeroed or already stopped reader. */
void sl_uring_reader_stop(sl_uring_reader *rd);

#endif
