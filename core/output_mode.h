/* core/output_mode.h - the output modes of a streaming query (Spark's
 * append, update, complete): which rows a batch hands its sink. Below
 * both floors that use them: the sinks say which they support (io/plugin.h)
 * and the stateful operators emit by them (ops/groupby.h). */
#ifndef SL_CORE_OUTPUT_MODE_H
#define SL_CORE_OUTPUT_MODE_H

typedef enum sl_output_mode {
	SL_MODE_APPEND = 0,
	SL_MODE_UPDATE = 1,
	SL_MODE_COMPLETE = 2,
} sl_output_mode;

/* The bit of mode m in a set of modes (sl_sink_ops.modes). */
#define SL_MODE_BIT(m) (1u << (m))

#endif
