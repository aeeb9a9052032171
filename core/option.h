/* core/option.h - option tables: how every component (source, sink, file
 * format, the query's writer options) declares, parses, validates and
 * documents its options. docs/OPTIONS.md is generated from the tables. */
#ifndef SL_CORE_OPTION_H
#define SL_CORE_OPTION_H

#include "core/value.h"
#include "sluice.h"


typedef enum sl_opt_type {
	SL_OPT_STRING,   /* const char * (copied into the session arena) */
	SL_OPT_INT,      /* int64_t; min/max apply */
	SL_OPT_DOUBLE,   /* double; min/max apply */
	SL_OPT_BOOL,     /* bool; "true"/"false", case-insensitive */
	SL_OPT_DURATION, /* int64_t milliseconds; "10 seconds", "100ms",
	                    "1 minute", "5 minutes", or a bare number of ms */
	SL_OPT_ENUM,     /* int: index into allowed[]; case-insensitive match */
	SL_OPT_PREFIX,   /* every option starting with name (e.g. "kafka."):
	                    collected into the sl_kvs at offset, prefix removed */
} sl_opt_type;

/* One option of a component. The table ends with an entry whose name is
 * NULL. Values land in the component's conf struct at `offset`. */
typedef struct sl_opt_def {
	const char *name;        /* Spark's name, matched case-insensitively */
	sl_opt_type type;
	size_t offset;           /* offsetof(conf struct, field) */
	double min, max;         /* INT/DOUBLE/DURATION range; min == max: none;
	                            +-INFINITY: no bound on that side */
	const char *def;         /* default as text, NULL: unset (field zeroed) */
	const char *const *allowed; /* ENUM: NULL-terminated allowed values */
	const char *desc;        /* one sentence for docs/OPTIONS.md */
	bool required;
} sl_opt_def;

/* A list of key/value strings (options as given, prefix passthroughs). */
typedef struct sl_kv {
	const char *key, *value;
} sl_kv;
typedef struct sl_kvs {
	uint32_t n, cap;
	sl_kv *kv;
} sl_kvs;

/* Applies options to conf using table: first every default, then each given
 * option. An unknown key, a bad value, an out-of-range number or a missing
 * required option is an error whose message names the component (e.g.
 * "source 'rate'"), the option, the value and what is allowed, and suggests
 * the closest known name for a misspelt one. Options whose key is in
 * `ignore` (NULL-terminated, may be NULL) are skipped: the writer options
 * (outputMode, trigger, ...) that the query, not the sink, consumes.
 * Strings are copied into arena a. Returns 0 or SL_EOPTION. */
int sl_options_apply(const sl_opt_def *table, void *conf, const sl_kvs *given,
		     const char *const *ignore, const char *component,
		     sl_arena *a, sl_err *err);

/* The finalize step of a component's options: cross-option rules, run
 * once every option is parsed. finalize(conf) returns NULL or a message
 * (static text, naming the options); a NULL finalize passes. Returns 0 or
 * SL_EOPTION with the message behind the component's name. */
int sl_options_finalize(const char *(*finalize)(const void *conf),
			const void *conf, const char *component, sl_err *err);

/* Case-insensitive edit distance between two short names (options,
 * command-line flags), for "did you mean"; huge past 64 characters. */
int sl_edit_distance(const char *a, const char *b);

/* Appends key=value (both copied into a). */
void sl_kvs_add(sl_kvs *k, sl_arena *a, const char *key, const char *value);
/* The value of key (case-insensitive), or NULL. */
const char *sl_kvs_get(const sl_kvs *k, const char *key);
/* Whether an option named key holds a secret (kafka.sasl.password,
 * kafka.ssl.key.password, kafka.sasl.jaas.config, ...): its value is never
 * shown, in messages, logs or the plan sluice validate prints. */
bool sl_option_secret(const char *key);

/* Parses a duration ("10 seconds", "1 second", "100 ms", "100 milliseconds",
 * "5 minutes", "1 hour", "2 days", "1.5 seconds", "250"; Spark's interval
 * words, singular or plural, optional "interval" prefix) into milliseconds.
 * Returns 0 or SL_EINVAL with a message naming the text. */
int sl_duration_parse(const char *text, int64_t *ms, sl_err *err);

/* Writes the Markdown reference of one component's options (a table of
 * name, type, default, allowed values/range, description) to buf. Returns
 * the length written (at most n-1), or what it needed if larger. */
size_t sl_options_markdown(const sl_opt_def *table, const char *title,
			   const char *intro, char *buf, size_t n);

#endif
