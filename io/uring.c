/* io/uring.c - the io_uring I/O layer (io/uring.h): per-thread rings,
 * one-operation helpers, batched statx and read-ahead, and the plain
 * system-call fallback used when io_uring is unavailable.
 *
 * Completions are delivered through sl_uring_op records (the CQE's
 * user_data), so any wait on a ring may reap any completion of that ring
 * and hand it to its owner; nothing depends on CQEs arriving in order. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/log.h"
#include "io/uring.h"

/* Enough for a directory scan's statx batch or a reader's read-ahead plus
 * a few one-off operations, small enough to cost little per thread. */
#define SL_URING_ENTRIES 64

/* One warning per process, not per thread: every partition thread makes
 * its own ring and would repeat it. */
static atomic_bool warned;

/* Opcodes sluice uses; their probe bits decide ring or system call. */
static const int used_ops[] = {
	IORING_OP_READ,		IORING_OP_WRITE,    IORING_OP_FSYNC,
	IORING_OP_OPENAT,	IORING_OP_CLOSE,    IORING_OP_STATX,
	IORING_OP_RENAMEAT,	IORING_OP_UNLINKAT, IORING_OP_MKDIRAT,
	IORING_OP_CONNECT,	IORING_OP_RECV,	    IORING_OP_SEND,
	IORING_OP_LINK_TIMEOUT, IORING_OP_POLL_ADD,
};

static bool env_disabled(void)
{
	const char *v = getenv("SLUICE_NO_URING");

	return v && *v && strcmp(v, "0") != 0;
}

const char *sl_uring_reason(const sl_uring *r)
{
	static __thread char buf[160];

	if (!r->fallback)
		return "";
	if (!r->reason)
		return "disabled by SLUICE_NO_URING";
	switch (r->reason) {
	case ENOSYS:
		snprintf(buf, sizeof(buf),
			 "io_uring_setup: %s (kernel without io_uring)",
			 strerror(r->reason));
		break;
	case EPERM:
		snprintf(buf, sizeof(buf),
			 "io_uring_setup: %s (blocked by seccomp or "
			 "kernel.io_uring_disabled)",
			 strerror(r->reason));
		break;
	case ENOMEM:
		snprintf(buf, sizeof(buf),
			 "io_uring_setup: %s (locked-memory limit too low?)",
			 strerror(r->reason));
		break;
	default:
		snprintf(buf, sizeof(buf), "io_uring_setup: %s",
			 strerror(r->reason));
		break;
	}
	return buf;
}

int sl_uring_init(sl_uring *r, unsigned entries)
{
	struct io_uring_probe *probe;
	int rc;

	memset(r, 0, sizeof(*r));
	if (env_disabled()) {
		r->fallback = true;
	} else {
		rc = io_uring_queue_init(entries ? entries : SL_URING_ENTRIES,
					 &r->ring, 0);
		if (rc < 0) {
			r->fallback = true;
			r->reason = -rc;
		}
	}
	if (r->fallback) {
		if (!atomic_exchange(&warned, true))
			sl_log_here(SL_LOG_WARN,
				"warning: io_uring unavailable (%s); "
				"using plain system calls",
				sl_uring_reason(r));
		return 1;
	}
	probe = io_uring_get_probe_ring(&r->ring);
	for (size_t i = 0; i < sizeof(used_ops) / sizeof(used_ops[0]); i++)
		/* No probe (kernels before 5.6): trust the ops; the ring
		 * itself will say -EINVAL for one it lacks. */
		if (!probe || io_uring_opcode_supported(probe, used_ops[i]))
			r->supported |= 1ull << used_ops[i];
	if (probe)
		io_uring_free_probe(probe);
	return 0;
}

/* ---- completions ------------------------------------------------------ */

static void reap_one(sl_uring *r, struct io_uring_cqe *cqe)
{
	sl_uring_op *op = io_uring_cqe_get_data(cqe);

	if (op) {
		op->res = cqe->res;
		op->done = true;
	}
	io_uring_cqe_seen(&r->ring, cqe);
	r->inflight--;
}

/* Reaps what has arrived without entering the kernel. */
static void reap_ready(sl_uring *r)
{
	struct io_uring_cqe *cqe;

	while (r->inflight && io_uring_peek_cqe(&r->ring, &cqe) == 0)
		reap_one(r, cqe);
}

/* Submits anything prepared and waits until op completes. One
 * io_uring_enter does both in the common case. If the ring itself fails
 * (io_uring_enter says something other than "try again"), op and every
 * operation still in flight on it fail with that error, the ring is
 * closed, and r goes on in fallback mode: the caller gets an error
 * instead of the process ending. */
static void wait_op(sl_uring *r, sl_uring_op *op)
{
	if (!op->done && r->fallback) {
		/* the ring failed while op was queued on it */
		op->res = r->reason ? -r->reason : -EIO;
		op->done = true;
		return;
	}
	reap_ready(r);
	while (!op->done) {
		int rc = io_uring_submit_and_wait(&r->ring, 1);

		if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
			sl_log_here(SL_LOG_ERROR,
				    "io_uring_enter: %s; using plain system "
				    "calls from now on",
				    strerror(-rc));
			io_uring_queue_exit(&r->ring);
			r->inflight = 0;
			r->fallback = true;
			r->reason = -rc;
			op->res = rc;
			op->done = true;
			return;
		}
		reap_ready(r);
	}
}

/* An SQE for op, submitting what is queued if the SQ ring is full. */
static struct io_uring_sqe *get_sqe(sl_uring *r, sl_uring_op *op)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);

	while (!sqe) {
		io_uring_submit(&r->ring);
		reap_ready(r);
		sqe = io_uring_get_sqe(&r->ring);
	}
	op->done = false;
	op->res = 0;
	io_uring_sqe_set_data(sqe, op);
	r->inflight++;
	r->nops++;
	return sqe;
}

static bool use_ring(const sl_uring *r, int opcode)
{
	return !r->fallback && (r->supported & (1ull << opcode));
}

static int sys_rc(long rc)
{
	return rc < 0 ? -errno : (int)rc;
}

/* The result of the system call made because the ring cannot do the
 * operation, counted as one (nsys). */
static int sys_result(sl_uring *r, long rc)
{
	r->nsys++;
	return sys_rc(rc);
}

/* Submits the operation prepared on get_sqe(r, op) and waits for its
 * result. */
static int ring_result(sl_uring *r, sl_uring_op *op)
{
	wait_op(r, op);
	return op->res;
}

static void reader_drain(sl_uring_reader *rd);
static void reader_unlink(sl_uring_reader *rd);

void sl_uring_exit(sl_uring *r)
{
	/* A reader still open on the ring (a file the partition thread was
	 * reading when it ended, closed later by the coordinator) is
	 * finished here, while the ring exists; its stop then only frees
	 * the buffers. */
	while (r->readers) {
		sl_uring_reader *rd = r->readers;

		reader_drain(rd);
		reader_unlink(rd);
	}
	if (r->fallback)
		return;
	while (r->inflight) {
		struct io_uring_cqe *cqe;

		if (io_uring_wait_cqe(&r->ring, &cqe) == 0)
			reap_one(r, cqe);
	}
	io_uring_queue_exit(&r->ring);
	r->fallback = true;
}

/* ---- the calling thread's ring ---------------------------------------- */

static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static __thread sl_uring *tls_ring;

static void tls_free(void *p)
{
	sl_uring_exit(p);
	free(p);
}

/* A forked child must not submit into its parent's ring: the rings'
 * queues are shared mappings, so the child would steal the parent's
 * completions. The child forgets the ring (its copy of the memory is left
 * behind, a small one-off cost) and makes its own on first use. */
static void tls_forget_after_fork(void)
{
	tls_ring = NULL;
	pthread_setspecific(tls_key, NULL);
}

static void tls_make_key(void)
{
	pthread_key_create(&tls_key, tls_free);
	pthread_atfork(NULL, NULL, tls_forget_after_fork);
}

sl_uring *sl_uring_get(void)
{
	if (tls_ring)
		return tls_ring;
	pthread_once(&tls_once, tls_make_key);
	/* on failure the thread unwinds to its recovery point
	 * (core/alloc.h): nothing is made yet */
	tls_ring = sl_try_realloc(NULL, sizeof(*tls_ring));
	if (!tls_ring)
		sl_oom_raise(sizeof(*tls_ring));
	sl_uring_init(tls_ring, SL_URING_ENTRIES);
	/* The key's destructor frees the ring when the thread exits. */
	pthread_setspecific(tls_key, tls_ring);
	return tls_ring;
}

/* ---- one operation ---------------------------------------------------- */

ssize_t sl_uring_pread(sl_uring *r, int fd, void *buf, size_t n, uint64_t off)
{
	sl_uring_op op;

	if (!use_ring(r, IORING_OP_READ)) {
		r->nsys++;
		ssize_t k = pread(fd, buf, n, (off_t)off);
		return k < 0 ? -errno : k;
	}
	io_uring_prep_read(get_sqe(r, &op), fd, buf, (unsigned)n, off);
	return ring_result(r, &op);
}

ssize_t sl_uring_write(sl_uring *r, int fd, const void *buf, size_t n,
		       int64_t off)
{
	const char *p = buf;
	size_t done = 0;

	while (done < n) {
		ssize_t k;

		if (!use_ring(r, IORING_OP_WRITE)) {
			r->nsys++;
			k = off < 0 ? write(fd, p + done, n - done)
				    : pwrite(fd, p + done, n - done,
					     (off_t)(off + (int64_t)done));
			if (k < 0)
				k = -errno;
		} else {
			sl_uring_op op;

			/* Offset -1 makes the kernel use (and move) the file
			 * position, as write(2) does. */
			io_uring_prep_write(get_sqe(r, &op), fd, p + done,
					    (unsigned)(n - done),
					    off < 0 ? (uint64_t)-1
						    : (uint64_t)off + done);
			k = ring_result(r, &op);
		}
		if (k == -EINTR)
			continue;
		if (k < 0)
			return k;
		if (k == 0)
			return -EIO;
		done += (size_t)k;
	}
	return (ssize_t)n;
}

int sl_uring_fsync(sl_uring *r, int fd, bool datasync)
{
	sl_uring_op op;

	if (!use_ring(r, IORING_OP_FSYNC))
		return sys_result(r, datasync ? fdatasync(fd) : fsync(fd));
	io_uring_prep_fsync(get_sqe(r, &op), fd,
			    datasync ? IORING_FSYNC_DATASYNC : 0);
	return ring_result(r, &op);
}

int sl_uring_openat(sl_uring *r, int dfd, const char *path, int flags,
		    mode_t mode)
{
	sl_uring_op op;

	if (!use_ring(r, IORING_OP_OPENAT))
		return sys_result(r, openat(dfd, path, flags, mode));
	io_uring_prep_openat(get_sqe(r, &op), dfd, path, flags, mode);
	return ring_result(r, &op);
}

int sl_uring_close(sl_uring *r, int fd)
{
	sl_uring_op op;

	if (!use_ring(r, IORING_OP_CLOSE))
		return sys_result(r, close(fd));
	io_uring_prep_close(get_sqe(r, &op), fd);
	return ring_result(r, &op);
}

int sl_uring_statx(sl_uring *r, int dfd, const char *path, int flags,
		   unsigned mask, struct statx *st)
{
	sl_uring_op op;

	if (!use_ring(r, IORING_OP_STATX))
		return sys_result(r, statx(dfd, path, flags, mask, st));
	io_uring_prep_statx(get_sqe(r, &op), dfd, path, flags, mask, st);
	return ring_result(r, &op);
}

int sl_uring_renameat(sl_uring *r, int olddfd, const char *oldpath, int newdfd,
		      const char *newpath, unsigned flags)
{
	sl_uring_op op;

	if (!use_ring(r, IORING_OP_RENAMEAT))
		return sys_result(
			r, renameat2(olddfd, oldpath, newdfd, newpath, flags));
	io_uring_prep_renameat(get_sqe(r, &op), olddfd, oldpath, newdfd,
			       newpath, flags);
	return ring_result(r, &op);
}

int sl_uring_unlinkat(sl_uring *r, int dfd, const char *path, int flags)
{
	sl_uring_op op;

	if (!use_ring(r, IORING_OP_UNLINKAT))
		return sys_result(r, unlinkat(dfd, path, flags));
	io_uring_prep_unlinkat(get_sqe(r, &op), dfd, path, flags);
	return ring_result(r, &op);
}

int sl_uring_mkdirat(sl_uring *r, int dfd, const char *path, mode_t mode)
{
	sl_uring_op op;

	if (!use_ring(r, IORING_OP_MKDIRAT))
		return sys_result(r, mkdirat(dfd, path, mode));
	io_uring_prep_mkdirat(get_sqe(r, &op), dfd, path, mode);
	return ring_result(r, &op);
}

/* Links a timeout to the SQE just prepared: the kernel cancels the
 * operation (-ECANCELED) if it is not done in time. */
static void link_timeout(sl_uring *r, struct io_uring_sqe *sqe,
			 struct __kernel_timespec *ts, sl_uring_op *top,
			 int64_t timeout_ns)
{
	ts->tv_sec = timeout_ns / 1000000000;
	ts->tv_nsec = timeout_ns % 1000000000;
	sqe->flags |= IOSQE_IO_LINK;
	io_uring_prep_link_timeout(get_sqe(r, top), ts, 0);
	r->nops--; /* the timeout is not an operation of its own */
}

/* Waits for fd to become ready for events within timeout_ns (< 0:
 * forever). Fallback only. */
static int sys_wait_fd(int fd, short events, int64_t timeout_ns)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int ms = timeout_ns < 0 ? -1 : (int)((timeout_ns + 999999) / 1000000);
	int rc;

	do
		rc = poll(&pfd, 1, ms);
	while (rc < 0 && errno == EINTR);
	if (rc < 0)
		return -errno;
	return rc == 0 ? -EAGAIN : 0;
}

static int sys_connect(int fd, const struct sockaddr *sa, socklen_t len,
		       int64_t timeout_ns)
{
	int fl = fcntl(fd, F_GETFL), rc, soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (timeout_ns <= 0)
		return sys_rc(connect(fd, sa, len));
	/* Non-blocking for the wait only: the caller's socket stays as it
	 * gave it. */
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	rc = connect(fd, sa, len);
	if (rc < 0 && errno == EINPROGRESS) {
		rc = sys_wait_fd(fd, POLLOUT, timeout_ns);
		if (rc == -EAGAIN)
			rc = -ETIMEDOUT;
		else if (rc == 0 &&
			 getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0)
			rc = -soerr;
	} else if (rc < 0) {
		rc = -errno;
	}
	fcntl(fd, F_SETFL, fl);
	return rc;
}

int sl_uring_connect(sl_uring *r, int fd, const struct sockaddr *sa,
		     socklen_t len, int64_t timeout_ns)
{
	struct __kernel_timespec ts;
	sl_uring_op op, top = { .done = true };
	struct io_uring_sqe *sqe;

	if (!use_ring(r, IORING_OP_CONNECT) ||
	    (timeout_ns > 0 && !use_ring(r, IORING_OP_LINK_TIMEOUT))) {
		r->nsys++;
		return sys_connect(fd, sa, len, timeout_ns);
	}
	sqe = get_sqe(r, &op);
	io_uring_prep_connect(sqe, fd, sa, len);
	if (timeout_ns > 0)
		link_timeout(r, sqe, &ts, &top, timeout_ns);
	wait_op(r, &op);
	/* ts and top live on this stack frame: wait for the timeout's CQE
	 * too before returning. */
	wait_op(r, &top);
	if (op.res == -ECANCELED && top.res == -ETIME)
		return -ETIMEDOUT;
	return op.res;
}

ssize_t sl_uring_recv(sl_uring *r, int fd, void *buf, size_t n,
		      int64_t timeout_ns)
{
	struct __kernel_timespec ts;
	sl_uring_op op, top = { .done = true };
	struct io_uring_sqe *sqe;

	if (!use_ring(r, IORING_OP_RECV) ||
	    (timeout_ns > 0 && !use_ring(r, IORING_OP_LINK_TIMEOUT))) {
		ssize_t k;

		r->nsys++;
		if (timeout_ns > 0) {
			int rc = sys_wait_fd(fd, POLLIN, timeout_ns);

			if (rc < 0)
				return rc;
		}
		do
			k = recv(fd, buf, n,
				 timeout_ns == 0 ? MSG_DONTWAIT : 0);
		while (k < 0 && errno == EINTR);
		if (k < 0)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		return k;
	}
	sqe = get_sqe(r, &op);
	/* MSG_DONTWAIT makes the ring answer -EAGAIN at once instead of
	 * arming a poll: "what is there now". */
	io_uring_prep_recv(sqe, fd, buf, n, timeout_ns == 0 ? MSG_DONTWAIT : 0);
	if (timeout_ns > 0)
		link_timeout(r, sqe, &ts, &top, timeout_ns);
	wait_op(r, &op);
	wait_op(r, &top);
	if (op.res == -ECANCELED || op.res == -EINTR)
		return -EAGAIN;
	if (op.res == -EWOULDBLOCK)
		return -EAGAIN;
	return op.res;
}

ssize_t sl_uring_send(sl_uring *r, int fd, const void *buf, size_t n)
{
	const char *p = buf;
	size_t done = 0;

	while (done < n) {
		ssize_t k;

		if (!use_ring(r, IORING_OP_SEND)) {
			r->nsys++;
			k = send(fd, p + done, n - done, MSG_NOSIGNAL);
			if (k < 0)
				k = -errno;
		} else {
			sl_uring_op op;

			io_uring_prep_send(get_sqe(r, &op), fd, p + done,
					   n - done, MSG_NOSIGNAL);
			k = ring_result(r, &op);
		}
		if (k == -EINTR)
			continue;
		if (k < 0)
			return k;
		done += (size_t)k;
	}
	return (ssize_t)n;
}

/* poll(2) on one fd: its ready events, 0 on timeout, or -errno. */
static int sys_poll_fd(int fd, short events, int64_t timeout_ns)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int ms = timeout_ns < 0 ? -1
		 : timeout_ns >= (int64_t)INT32_MAX * 1000000
			 ? INT32_MAX
			 : (int)((timeout_ns + 999999) / 1000000);
	int rc = poll(&pfd, 1, ms);

	/* A signal counts as a timeout: the caller re-checks what it waits
	 * for and waits again, with the time it has left. */
	if (rc < 0)
		return errno == EINTR ? 0 : -errno;
	return rc == 0 ? 0 : pfd.revents;
}

int sl_uring_poll_fd(sl_uring *r, int fd, short events, int64_t timeout_ns)
{
	struct __kernel_timespec ts;
	sl_uring_op op, top = { .done = true };
	struct io_uring_sqe *sqe;

	/* Only looking needs no ring round trip: poll(2) with 0 is one
	 * system call either way and cannot block. */
	if (timeout_ns == 0 || !use_ring(r, IORING_OP_POLL_ADD) ||
	    (timeout_ns > 0 && !use_ring(r, IORING_OP_LINK_TIMEOUT))) {
		r->nsys++;
		return sys_poll_fd(fd, events, timeout_ns);
	}
	sqe = get_sqe(r, &op);
	io_uring_prep_poll_add(sqe, fd, (unsigned)(unsigned short)events);
	if (timeout_ns > 0)
		link_timeout(r, sqe, &ts, &top, timeout_ns);
	wait_op(r, &op);
	/* ts and top live on this stack frame: wait for the timeout's CQE
	 * too before returning. */
	wait_op(r, &top);
	/* The linked timeout fired and cancelled the poll. */
	if (op.res == -ECANCELED || op.res == -EINTR)
		return 0;
	return op.res;
}

/* ---- batches ---------------------------------------------------------- */

/* statx SQEs per submit: a quarter of the ring leaves room for the
 * reader and one-off operations of the same thread. */
#define STATX_BATCH 16

void sl_uring_statx_many(sl_uring *r, int dfd, const char *const *names,
			 size_t n, int flags, unsigned mask, struct statx *st,
			 int *res)
{
	sl_uring_op op[STATX_BATCH];

	if (!use_ring(r, IORING_OP_STATX)) {
		for (size_t i = 0; i < n; i++) {
			r->nsys++;
			res[i] = sys_rc(
				statx(dfd, names[i], flags, mask, &st[i]));
		}
		return;
	}
	for (size_t base = 0; base < n; base += STATX_BATCH) {
		size_t k = n - base < STATX_BATCH ? n - base : STATX_BATCH;

		for (size_t i = 0; i < k; i++)
			io_uring_prep_statx(get_sqe(r, &op[i]), dfd,
					    names[base + i], flags, mask,
					    &st[base + i]);
		for (size_t i = 0; i < k; i++) {
			wait_op(r, &op[i]);
			res[base + i] = op[i].res;
		}
	}
}

static void reader_fill(sl_uring_reader *rd)
{
	bool queued = false;

	while (!rd->eof && rd->nq < rd->depth && rd->next_off < rd->end) {
		struct sl_reader_slot *s =
			&rd->slot[(rd->head + rd->nq) % rd->depth];
		uint64_t left = rd->end - rd->next_off;

		s->off = rd->next_off;
		s->len = left < rd->chunk ? (size_t)left : rd->chunk;
		if (!use_ring(rd->r, IORING_OP_READ)) {
			ssize_t k;

			rd->r->nsys++;
			do
				k = pread(rd->fd, s->buf, s->len,
					  (off_t)s->off);
			while (k < 0 && errno == EINTR);
			s->op.res = k < 0 ? -errno : (int)k;
			s->op.done = true;
		} else {
			io_uring_prep_read(get_sqe(rd->r, &s->op), rd->fd,
					   s->buf, (unsigned)s->len, s->off);
			queued = true;
		}
		rd->next_off += s->len;
		rd->nq++;
	}
	/* One enter for the whole read-ahead; the consumer's wait reaps. */
	if (queued)
		io_uring_submit(&rd->r->ring);
}

int sl_uring_reader_start(sl_uring_reader *rd, sl_uring *r, int fd,
			  uint64_t end, size_t chunk, unsigned depth)
{
	memset(rd, 0, sizeof(*rd));
	rd->r = r;
	rd->next = r->readers;
	if (r->readers)
		r->readers->prev = rd;
	r->readers = rd;
	rd->fd = fd;
	rd->end = end;
	rd->chunk = chunk ? chunk : 128 * 1024;
	rd->depth = depth < 1			  ? 1
		    : depth > SL_READER_MAX_DEPTH ? SL_READER_MAX_DEPTH
						  : depth;
	/* Small files need one buffer of their own size, not depth
	 * chunks. */
	if (end < rd->chunk)
		rd->chunk = end ? (size_t)end : 1;
	for (unsigned i = 0; i < rd->depth; i++) {
		rd->slot[i].buf = malloc(rd->chunk);
		if (!rd->slot[i].buf) {
			sl_uring_reader_stop(rd);
			return -ENOMEM;
		}
	}
	reader_fill(rd);
	return 0;
}

/* Slot head was handed to the consumer by the last call: free it. */
static void reader_release(sl_uring_reader *rd)
{
	if (!rd->nq)
		return;
	rd->head = (rd->head + 1) % rd->depth;
	rd->nq--;
}

/* Takes rd off its ring's list; rd->r is NULL after. */
static void reader_unlink(sl_uring_reader *rd)
{
	if (rd->prev)
		rd->prev->next = rd->next;
	else
		rd->r->readers = rd->next;
	if (rd->next)
		rd->next->prev = rd->prev;
	rd->prev = rd->next = NULL;
	rd->r = NULL;
}

static void reader_drain(sl_uring_reader *rd)
{
	while (rd->nq) {
		wait_op(rd->r, &rd->slot[rd->head].op);
		reader_release(rd);
	}
}

ssize_t sl_uring_reader_next(sl_uring_reader *rd, const char **data)
{
	struct sl_reader_slot *s;
	int res;

	if (rd->held) {
		reader_release(rd);
		rd->held = false;
	}
	if (rd->eof) {
		reader_drain(rd);
		return 0;
	}
	reader_fill(rd);
	if (!rd->nq)
		return 0;
	s = &rd->slot[rd->head];
	wait_op(rd->r, &s->op);
	rd->held = true;
	res = s->op.res;
	if (res < 0 || (size_t)res < s->len)
		/* An error, or the file is shorter than when it was
		 * listed: what was read is what there is. */
		rd->eof = true;
	if (res <= 0)
		return res;
	*data = s->buf;
	return res;
}

void sl_uring_reader_stop(sl_uring_reader *rd)
{
	if (rd->r) {
		reader_drain(rd);
		reader_unlink(rd);
	}
	for (unsigned i = 0; i < SL_READER_MAX_DEPTH; i++) {
		free(rd->slot[i].buf);
		rd->slot[i].buf = NULL;
	}
	rd->nq = 0;
	rd->held = false;
}
