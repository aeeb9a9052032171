/* core/uuid.c - random (version 4) UUIDs (core/uuid.h). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/uuid.h"
#include "core/value.h"

void sl_uuid_v4(char out[37])
{
	uint8_t u[16];

	/* Without the kernel's randomness, the clocks and the process make
	 * ids that still differ between queries and processes. */
	if (getrandom(u, sizeof(u), 0) != sizeof(u)) {
		uint64_t t = (uint64_t)sl_now_ns() ^ (uint64_t)getpid() << 40;
		memcpy(u, &t, 8);
		t = (uint64_t)sl_wall_us();
		memcpy(u + 8, &t, 8);
	}
	u[6] = (u[6] & 0x0f) | 0x40; /* version 4 */
	u[8] = (u[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
}
