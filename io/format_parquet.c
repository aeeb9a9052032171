/* io/format_parquet.c - the Parquet format: its options and ops, and the
 * Spark schema JSON of the writer's footer. Files are written by
 * io/format_parquet_write.c and read by io/format_parquet_read.c;
 * io/parquet.h says what the format's files share. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "io/parquet.h"

/* The compression option's values; none and uncompressed are one. */
const char *const pq_codec_names[] = { "snappy", "none", "uncompressed",
				       "gzip",   "zstd", NULL };

int pq_conf_codec(int index)
{
	static const int codecs[] = { PQ_CODEC_SNAPPY, PQ_CODEC_NONE,
				      PQ_CODEC_NONE, PQ_CODEC_GZIP,
				      PQ_CODEC_ZSTD };

	return index >= 0 && index < 5 ? codecs[index] : PQ_CODEC_NONE;
}

static const sl_opt_def pq_read_options[] = {
	{ .name = "schema",
	  .type = SL_OPT_STRING,
	  .offset = offsetof(struct pq_conf, schema),
	  .desc = "The columns to read in Spark DDL ('a STRING, b INT'), "
		  "matched by name; unset: the schema of the directory's "
		  "first Parquet file." },
	{ .name = NULL },
};

static const sl_opt_def pq_write_options[] = {
	{ .name = "compression",
	  .type = SL_OPT_ENUM,
	  .offset = offsetof(struct pq_conf, compression),
	  .def = "snappy",
	  .allowed = pq_codec_names,
	  .desc = "Page compression: snappy (Spark's default), gzip, zstd, "
		  "or none/uncompressed." },
	{ .name = "parquet.block.size",
	  .type = SL_OPT_INT,
	  .offset = offsetof(struct pq_conf, block_size),
	  .min = 1024,
	  .max = 2147483647.0,
	  .def = "134217728",
	  .desc = "Row group size in bytes (before compression): a file's "
		  "rows go into row groups of about this size." },
	{ .name = "parquet.page.size",
	  .type = SL_OPT_INT,
	  .offset = offsetof(struct pq_conf, page_size),
	  .min = 64,
	  .max = 2147483647.0,
	  .def = "1048576",
	  .desc = "Data page size in bytes (before compression); a page "
		  "also ends at 20000 values." },
	{ .name = "parquet.enable.dictionary",
	  .type = SL_OPT_BOOL,
	  .offset = offsetof(struct pq_conf, dictionary),
	  .def = "true",
	  .desc = "Dictionary-encode the columns other than booleans (a "
		  "dictionary page per column chunk)." },
	{ .name = "parquet.dictionary.page.size",
	  .type = SL_OPT_INT,
	  .offset = offsetof(struct pq_conf, dict_page_size),
	  .min = 64,
	  .max = 2147483647.0,
	  .def = "1048576",
	  .desc = "A column chunk's dictionary past this many bytes: the "
		  "rest of the chunk is PLAIN." },
	{ .name = NULL },
};

const sl_format_ops sl_format_parquet = {
	.name = "parquet",
	.description = "Apache Parquet columnar files, Spark's Parquet "
		       "options.",
	.label = "Parquet",
	.extension = ".parquet",
	.flags = SL_FORMAT_READ | SL_FORMAT_WRITE | SL_FORMAT_STATIC |
		 SL_FORMAT_PARTITIONS | SL_FORMAT_BAD_FILES,
	.source_description =
		"Parquet files of new files in a directory, the schema given "
		"or taken from the first file's footer. Micro-batch triggers "
		"only.",
	.sink_description =
		"Writes Parquet files into a directory, each micro-batch made "
		"visible exactly once by the _spark_metadata log, as "
		"Spark's file sink.",
	.read_options = pq_read_options,
	.write_options = pq_write_options,
	.conf_size = sizeof(struct pq_conf),
	.scan_init = pq_scan_init,
	.reader_open = pq_reader_open,
	.next_batch = pq_next_batch,
	.reader_close = pq_reader_close,
	.writer_init = pq_writer_init,
	.file_open = pq_file_open,
	.write_batch = pq_write_batch,
	.file_close = pq_file_close,
	.file_abandon = pq_file_abandon,
	.writer_free = pq_writer_free,
};

/* The sink's columns as Spark's StructType JSON, which Spark's writer
 * keeps in the footer (org.apache.spark.sql.parquet.row.metadata) and its
 * reader takes the schema from: every column nullable, as Spark's file
 * sink writes them. */
static void spark_type_json(sl_buf *b, const sl_dtype *t);

/* Field f (the i-th) of a StructType's JSON. */
static void spark_field_json(sl_buf *b, const sl_field *f, uint32_t i)
{
	sl_buf_puts(b, i ? ",{\"name\":" : "{\"name\":");
	sl_format_json_str(b, f->name, strlen(f->name));
	sl_buf_puts(b, ",\"type\":");
	spark_type_json(b, f->type);
	sl_buf_puts(b, ",\"nullable\":true,\"metadata\":{}}");
}

/* Type t as Spark's DataType JSON: a name, or a struct's object. */
static void spark_type_json(sl_buf *b, const sl_dtype *t)
{
	const char *n;
	char dec[32];

	switch ((int)t->id) {
	case SL_BOOL: n = "boolean"; break;
	case (int)SL_BYTE: n = "byte"; break;
	case (int)SL_SHORT: n = "short"; break;
	case SL_INT: n = "integer"; break;
	case SL_LONG: n = "long"; break;
	case SL_DOUBLE: n = "double"; break;
	case SL_STRING: n = "string"; break;
	case SL_BINARY: n = "binary"; break;
	case SL_DATE: n = "date"; break;
	case SL_FLOAT: n = "float"; break;
	case SL_TIMESTAMP_NTZ: n = "timestamp_ntz"; break;
	case SL_DECIMAL:
		snprintf(dec, sizeof(dec), "decimal(%d,%d)", t->precision,
			 t->scale);
		n = dec;
		break;
	case SL_MAP:
		sl_buf_puts(b, "{\"type\":\"map\",\"keyType\":");
		spark_type_json(b, t->key);
		sl_buf_puts(b, ",\"valueType\":");
		spark_type_json(b, t->elem);
		sl_buf_puts(b, ",\"valueContainsNull\":true}");
		return;
	case SL_ARRAY:
		sl_buf_puts(b, "{\"type\":\"array\",\"elementType\":");
		spark_type_json(b, t->elem);
		sl_buf_puts(b, ",\"containsNull\":true}");
		return;
	case SL_STRUCT:
		sl_buf_puts(b, "{\"type\":\"struct\",\"fields\":[");
		for (uint32_t i = 0; i < t->fields->n; i++)
			spark_field_json(b, &t->fields->fields[i], i);
		sl_buf_puts(b, "]}");
		return;
	default: n = "timestamp"; break;
	}
	sl_buf_printf(b, "\"%s\"", n);
}

void pq_spark_schema_json(sl_buf *b, const sl_format_writer *w)
{
	sl_buf_puts(b, "{\"type\":\"struct\",\"fields\":[");
	for (uint32_t i = 0; i < w->ncols; i++)
		spark_field_json(b, &w->schema->fields[w->cols[i]], i);
	sl_buf_puts(b, "]}");
}
