/* io/source_file_read.c - the file source's partition side: open, poll
 * and close (the partition thread). poll() reads the admitted files in
 * index order through a read-ahead io_uring reader, splits lines (a line
 * may straddle reads: the carry), parses records (whole lines, CSV fields,
 * JSON objects) into record vectors, handles malformed records by the mode
 * option (and the dead-letter directory), and moves the partition offset on
 * as each file ends. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/source_file_internal.h"

/* Rows per record vector, as the other sources. */
#define FILE_MAX_ROWS 1024
/* Read-ahead: two 256 KiB reads in flight keep the disk busy while the
 * partition parses, without holding much memory per partition. */
#define FILE_CHUNK (256 * 1024)
#define FILE_DEPTH 2


/* ---- reading lines ---------------------------------------------------- */

static void part_close_file(struct file_part *fp)
{
	if (!fp->open)
		return;
	sl_uring_reader_stop(&fp->rd);
	sl_uring_close(sl_uring_get(), fp->fd);
	free(fp->path);
	fp->path = NULL;
	fp->open = false;
}

static int part_open_file(sl_source_part *p, struct file_part *fp)
{
	struct file_src *fs = p->src->state;
	const struct fentry *e;
	int64_t size;
	int fd, rc;

	pthread_mutex_lock(&fs->lock);
	e = sl_fsrc_find_index(fs, p->offset);
	fp->path = e ? strdup(e->path) : NULL;
	size = e ? e->size : 0;
	pthread_mutex_unlock(&fs->lock);
	if (!fp->path)
		return sl_err_set(&p->err, SL_ESTATE,
				  "source '%s': file number %lld was never "
				  "admitted",
				  p->src->ops->name, (long long)p->offset);
	fd = sl_uring_openat(sl_uring_get(), AT_FDCWD, fp->path,
			     O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0) {
		rc = sl_err_set(&p->err, SL_EIO,
				"source '%s': cannot open %s: %s",
				p->src->ops->name, fp->path, strerror(-fd));
		free(fp->path);
		fp->path = NULL;
		return rc;
	}
	/* Up to the size the scan saw, as Spark reads the length its listing
	 * recorded: bytes appended later are not part of this file. */
	if (sl_uring_reader_start(&fp->rd, sl_uring_get(), fd, (uint64_t)size,
				  FILE_CHUNK, FILE_DEPTH) < 0) {
		sl_uring_close(sl_uring_get(), fd);
		free(fp->path);
		fp->path = NULL;
		return sl_err_set(&p->err, -ENOMEM, "out of memory");
	}
	fp->fd = fd;
	fp->open = true;
	fp->index = p->offset;
	fp->chunk = NULL;
	fp->clen = fp->cpos = 0;
	fp->eof = false;
	fp->ncarry = 0;
	fp->carry_used = false;
	fp->line_no = 0;
	fp->skip_header = fs->fmt == FMT_CSV && conf_of(p->src)->header;
	return 0;
}

static void carry_add(struct file_part *fp, const char *s, size_t n)
{
	if (fp->ncarry + n > fp->capcarry) {
		size_t cap = fp->capcarry ? fp->capcarry : 1024;

		while (cap < fp->ncarry + n)
			cap *= 2;
		fp->carry = sl_xrealloc(fp->carry, cap);
		fp->capcarry = cap;
	}
	memcpy(fp->carry + fp->ncarry, s, n);
	fp->ncarry += n;
}

/* The next line of the open file (without its \n or \r\n): 1 and the line,
 * 0 at the end of the file, < 0 on a read error. The line is valid until
 * the next call. */
static int next_line(struct file_part *fp, const char **line, size_t *len)
{
	if (fp->carry_used) {
		fp->ncarry = 0;
		fp->carry_used = false;
	}
	for (;;) {
		if (fp->cpos < fp->clen) {
			const char *s = fp->chunk + fp->cpos;
			size_t left = fp->clen - fp->cpos;
			const char *nl = memchr(s, '\n', left);

			if (nl) {
				size_t n = (size_t)(nl - s);

				fp->cpos += n + 1;
				if (fp->ncarry) {
					carry_add(fp, s, n);
					*line = fp->carry;
					*len = fp->ncarry;
					fp->carry_used = true;
				} else {
					*line = s;
					*len = n;
				}
				goto got;
			}
			/* The line goes on in the next chunk, whose buffer
			 * will replace this one: keep its start. */
			carry_add(fp, s, left);
			fp->cpos = fp->clen;
		}
		if (fp->eof) {
			if (!fp->ncarry)
				return 0;
			/* A last line without a newline is a line. */
			*line = fp->carry;
			*len = fp->ncarry;
			fp->carry_used = true;
			goto got;
		}
		{
			ssize_t k = sl_uring_reader_next(&fp->rd, &fp->chunk);

			if (k < 0)
				return (int)k;
			if (k == 0) {
				fp->eof = true;
				fp->clen = fp->cpos = 0;
			} else {
				fp->clen = (size_t)k;
				fp->cpos = 0;
			}
		}
	}
got:
	if (*len && (*line)[*len - 1] == '\r')
		(*len)--;
	fp->line_no++;
	return 1;
}

/* ---- records ---------------------------------------------------------- */

static const char *const fmt_upper[] = { "text", "CSV", "JSON" };

/* One malformed record. Returns 0 to keep the row, 1 to drop it, < 0 to
 * fail (FAILFAST), with p->err naming file, line and problem. */
static int malformed(sl_source_part *p, struct file_part *fp, sl_batch *b,
		     sl_value *row, const char *line, size_t len,
		     const char *why)
{
	struct file_src *fs = p->src->state;

	/* Every mode: a FAILFAST record too, so the record that stopped the
	 * query is kept beside the error; poll writes it before returning. */
	if (fp->dl)
		sl_dl_add(fp->dl, fp->path, fp->line_no, why, line, len);
	switch (conf_of(p->src)->mode) {
	case MODE_FAILFAST:
		return sl_err_set(&p->err, SL_EINVAL,
				  "FAILFAST: malformed %s record at %s line "
				  "%lld: %s",
				  fmt_upper[fs->fmt], fp->path,
				  (long long)fp->line_no, why);
	case MODE_DROPMALFORMED: fp->dropped++; return 1;
	default:
		fp->corrupt++;
		if (fs->corrupt >= 0) {
			char *s = sl_arena_alloc(&b->arena, len ? len : 1);

			memcpy(s, line, len);
			row[fs->corrupt] = sl_v_str(s, (uint32_t)len);
		}
		return 0;
	}
}

static int csv_record(sl_source_part *p, struct file_part *fp, sl_batch *b,
		      sl_value *row, const char *line, size_t len)
{
	struct file_src *fs = p->src->state;
	const sl_schema *sch = p->src->schema;
	uint32_t nf;
	const char *why = NULL;
	char whybuf[200];

	if (len > fp->capscratch) {
		fp->capscratch = len * 2;
		fp->scratch = sl_xrealloc(fp->scratch, fp->capscratch);
	}
	if (sl_csv_split(&fs->csv, line, len, fp->scratch, fp->fields,
			 fp->capfields, &nf, &why) < 0)
		return malformed(p, fp, b, row, line, len, why);
	for (uint32_t i = 0; i < fs->ndata && i < nf; i++) {
		const sl_csv_field *f = &fp->fields[i];
		uint32_t col = fs->data[i];
		const sl_field *sf = &sch->fields[col];

		if (sl_csv_is_null(&fs->csv, f))
			continue;
		if (sl_text_to_value(f->s, f->len, sf->type, &b->arena,
				     &row[col]) < 0 &&
		    !why) {
			char tn[64];

			sl_dtype_name(sf->type, tn, sizeof(tn));
			snprintf(whybuf, sizeof(whybuf),
				 "cannot parse '%.*s' as %s for column %s",
				 (int)(f->len > 40 ? 40 : f->len), f->s, tn,
				 sf->name);
			why = whybuf;
		}
	}
	if (nf != fs->ndata && !why) {
		snprintf(whybuf, sizeof(whybuf), "expected %u fields, found %u",
			 fs->ndata, nf);
		why = whybuf;
	}
	return why ? malformed(p, fp, b, row, line, len, why) : 0;
}

/* A JSON value as a value of type t; false if it is not one. */
static bool json_value(json_t *j, const sl_dtype *t, sl_arena *a, sl_value *out)
{
	*out = sl_v_null();
	if (json_is_null(j))
		return true;
	switch (t->id) {
	case SL_STRING:
		if (json_is_string(j))
			return !sl_text_to_value(json_string_value(j),
						 json_string_length(j), t, a,
						 out);
		{
			/* Spark keeps a non-string's JSON text. */
			char *s = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
			int rc;

			if (!s)
				return false;
			rc = sl_text_to_value(s, strlen(s), t, a, out);
			free(s);
			return !rc;
		}
	case SL_INT:
		if (!json_is_integer(j) || json_integer_value(j) < INT32_MIN ||
		    json_integer_value(j) > INT32_MAX)
			return false;
		*out = sl_v_int((int32_t)json_integer_value(j));
		return true;
	case SL_LONG:
		if (!json_is_integer(j))
			return false;
		*out = sl_v_long(json_integer_value(j));
		return true;
	case SL_DOUBLE:
		if (json_is_number(j)) {
			*out = sl_v_double(json_number_value(j));
			return true;
		}
		return json_is_string(j) &&
		       !sl_text_to_value(json_string_value(j),
					 json_string_length(j), t, a, out);
	case SL_BOOL:
		if (!json_is_boolean(j))
			return false;
		*out = sl_v_bool(json_is_true(j));
		return true;
	case SL_TIMESTAMP:
		if (json_is_integer(j)) {
			/* Spark reads a number as seconds since the epoch. */
			*out = sl_v_ts(json_integer_value(j) * 1000000);
			return true;
		}
		/* fall through */
	case SL_DATE:
	case SL_BINARY:
		return json_is_string(j) &&
		       !sl_text_to_value(json_string_value(j),
					 json_string_length(j), t, a, out);
	case SL_ARRAY: {
		size_t n = json_array_size(j);
		sl_value *e;

		if (!json_is_array(j))
			return false;
		e = sl_arena_alloc(a, (n ? n : 1) * sizeof(*e));
		for (size_t i = 0; i < n; i++)
			if (!json_value(json_array_get(j, i), t->elem, a,
					&e[i]))
				return false;
		out->type = SL_ARRAY;
		out->len = (uint32_t)n;
		out->v.arr = e;
		return true;
	}
	case SL_STRUCT: {
		const sl_schema *fs = t->fields;
		sl_value *e;

		if (!json_is_object(j))
			return false;
		e = sl_arena_calloc(a, (fs->n ? fs->n : 1) * sizeof(*e));
		for (uint32_t i = 0; i < fs->n; i++) {
			json_t *v = json_object_get(j, fs->fields[i].name);

			if (v && !json_value(v, fs->fields[i].type, a, &e[i]))
				return false;
		}
		out->type = SL_STRUCT;
		out->len = fs->n;
		out->v.fields = e;
		return true;
	}
	default: return false;
	}
}

static int json_record(sl_source_part *p, struct file_part *fp, sl_batch *b,
		       sl_value *row, const char *line, size_t len)
{
	struct file_src *fs = p->src->state;
	const sl_schema *sch = p->src->schema;
	json_error_t je;
	json_t *j;
	char whybuf[260];
	const char *why = NULL;
	int rc;

	j = json_loadb(line, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (!j) {
		snprintf(whybuf, sizeof(whybuf), "%s (column %d)", je.text,
			 je.column);
		return malformed(p, fp, b, row, line, len, whybuf);
	}
	if (!json_is_object(j)) {
		json_decref(j);
		return malformed(p, fp, b, row, line, len, "not a JSON object");
	}
	for (uint32_t i = 0; i < fs->ndata; i++) {
		uint32_t col = fs->data[i];
		const sl_field *sf = &sch->fields[col];
		json_t *v = json_object_get(j, sf->name);

		if (!v || json_value(v, sf->type, &b->arena, &row[col]))
			continue;
		row[col] = sl_v_null();
		if (!why) {
			char tn[64];

			sl_dtype_name(sf->type, tn, sizeof(tn));
			snprintf(whybuf, sizeof(whybuf),
				 "field %s is not of type %s", sf->name, tn);
			why = whybuf;
		}
	}
	json_decref(j);
	rc = why ? malformed(p, fp, b, row, line, len, why) : 0;
	return rc;
}

/* Blank lines are no record in CSV and JSON, as in Spark. */
static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

/* One line of the open file into b. 0 (row added or line skipped), or
 * < 0 with p->err set. */
static int file_line(sl_source_part *p, struct file_part *fp, sl_batch *b,
		     const char *line, size_t len)
{
	struct file_src *fs = p->src->state;
	sl_value *row;
	int rc;

	if (fs->fmt == FMT_TEXT) {
		char *s = sl_arena_alloc(&b->arena, len ? len : 1);

		memcpy(s, line, len);
		row = sl_batch_add_row(b);
		row[0] = sl_v_str(s, (uint32_t)len);
		fp->rows++;
		return 0;
	}
	if (fp->skip_header) {
		fp->skip_header = false;
		return 0;
	}
	if (fs->fmt == FMT_CSV ? len == 0 : blank(line, len))
		return 0;
	row = sl_batch_add_row(b);
	rc = fs->fmt == FMT_CSV ? csv_record(p, fp, b, row, line, len)
				: json_record(p, fp, b, row, line, len);
	if (rc < 0)
		return rc;
	if (rc == 1)
		b->nrows--;
	else
		fp->rows++;
	return 0;
}

static void flush_stats(sl_source_part *p, struct file_part *fp, uint64_t files)
{
	struct file_src *fs = p->src->state;

	pthread_mutex_lock(&fs->lock);
	fs->st.rows += fp->rows;
	fs->st.dropped += fp->dropped;
	fs->st.corrupt += fp->corrupt;
	fs->st.files_read += files;
	fs->dead_lettered += fp->dead;
	pthread_mutex_unlock(&fs->lock);
	fp->rows = fp->dropped = fp->corrupt = fp->dead = 0;
}

int sl_fsrc_poll(sl_source_part *p, int64_t end, int64_t wait_ns,
		 sl_batch **out)
{
	struct file_part *fp = p->state;
	sl_batch *b = NULL;
	uint64_t files = 0;
	int rc = 0;

	*out = NULL;
	/* Files are all there: nothing to wait for. */
	while (p->offset < end) {
		const char *line = NULL;
		size_t len = 0;

		if (!fp->open && (rc = part_open_file(p, fp)) < 0)
			break;
		if (!b)
			b = sl_batch_new(p->src->schema, FILE_MAX_ROWS);
		if (b->nrows >= FILE_MAX_ROWS)
			break;
		rc = next_line(fp, &line, &len);
		if (rc < 0) {
			rc = sl_err_set(
				&p->err, SL_EIO, "source '%s': reading %s: %s",
				p->src->ops->name, fp->path, strerror(-rc));
			break;
		}
		if (rc == 0) {
			part_close_file(fp);
			p->offset++;
			files++;
			continue;
		}
		if ((rc = file_line(p, fp, b, line, len)) < 0)
			break;
	}
	/* The rejected records of this poll are written before it returns,
	 * so none counted as dropped can be lost by a later commit; synced
	 * when the batch is complete (or the query fails), which costs one
	 * fdatasync only for batches that rejected something. */
	if (fp->dl) {
		sl_err e2 = { 0 };
		int64_t k = sl_dl_flush(fp->dl, rc < 0 || p->offset >= end,
					rc < 0 ? &e2 : &p->err);

		if (k < 0 && rc >= 0)
			rc = (int)k;
		else if (k > 0)
			fp->dead += (uint64_t)k;
	}
	flush_stats(p, fp, files);
	if (rc < 0 || !b || !b->nrows) {
		sl_batch_free(b);
		return rc < 0 ? rc : 0;
	}
	b->partition = p->index;
	b->ingest_ns = sl_now_ns();
	b->end_offset = p->offset;
	*out = b;
	return (int)b->nrows;
}

int sl_fsrc_open(sl_source_part *p)
{
	struct file_src *fs = p->src->state;
	struct file_part *fp = calloc(1, sizeof(*fp));

	if (!fp)
		return sl_err_set(&p->err, -ENOMEM, "out of memory");
	fp->capfields = fs->ndata + 1;
	fp->fields = sl_xrealloc(NULL, fp->capfields * sizeof(*fp->fields));
	if (fs->dl_dir)
		fp->dl = sl_dl_open(fs->dl_dir, p->src->ops->name, p->index);
	p->state = fp;
	pthread_mutex_lock(&fs->lock);
	/* Resuming: the files from the checkpoint's offset on are read
	 * again (sl_file_source_restore put them back in the catalogue). */
	p->offset = p->has_resume && p->resume <= fs->next_index
			    ? p->resume
			    : fs->next_index;
	pthread_mutex_unlock(&fs->lock);
	return 0;
}

void sl_fsrc_close(sl_source_part *p)
{
	struct file_part *fp = p->state;

	if (!fp)
		return;
	part_close_file(fp);
	sl_dl_close(fp->dl);
	free(fp->carry);
	free(fp->scratch);
	free(fp->fields);
	free(fp);
	p->state = NULL;
}

