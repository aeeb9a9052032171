/* engine/api_struct.c - the public structs the caller fills or reads
 * (sl_sink_callbacks, sl_group_state_spec, sl_state_stats, sl_status)
 * begin with `size_t size`, which the caller sets to sizeof the struct
 * as its header declares it. The library reads or writes only the bytes
 * both know: a program built against an older, shorter version keeps
 * working when members are added at the end, and one built against a
 * newer header has its extra members ignored. */
#include <string.h>

#include "engine/engine.h"

bool sl_sized_in(void *dst, size_t dst_size, const void *src)
{
	size_t given;
	memcpy(&given, src, sizeof(given));
	if (given < sizeof(size_t))
		return false;
	memset(dst, 0, dst_size);
	memcpy(dst, src, given < dst_size ? given : dst_size);
	memcpy(dst, &dst_size, sizeof(dst_size)); /* now a whole one */
	return true;
}

bool sl_sized_out(void *dst, const void *src, size_t src_size)
{
	size_t given;
	memcpy(&given, dst, sizeof(given));
	if (given < sizeof(size_t))
		return false;
	size_t n = given < src_size ? given : src_size;
	/* the caller's size field stays what it said */
	memcpy((char *)dst + sizeof(size_t), (const char *)src + sizeof(size_t),
	       n - sizeof(size_t));
	return true;
}
